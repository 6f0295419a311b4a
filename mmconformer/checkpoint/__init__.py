# Copyright (c) mmconformer contributors. All rights reserved.
"""Reading, converting and checking checkpoints. Imports only torch, mmengine
and ``mmconformer.utils``: never the models."""
from .compatibility import StateDictFit, check_compatible, state_dict_fit
from .io import (TORCH_EQUIVALENT, CheckpointError, checkpoint_error,
                 load_checkpoint_file, save_atomic)
from .official_converter import (ConversionError, convert_official_state_dict,
                                 infer_official_arch, is_official_layout,
                                 mmpretrain_key, official_key)
from .official_detector import (CHECKPOINT_KINDS, checkpoint_kind,
                                convert_official_detector)
from .pretrained import (extract_state_dict, load_pretrained,
                         load_state_dict_checked, read_checkpoint,
                         unbuilt_prefixes)
from .portable_state import from_weights_only, to_weights_only
from .published import (MIRROR_VARIABLE, PUBLISHED_URLS,
                        expected_hash_prefix, fetch_weights,
                        register_published_weights)
from .safe_globals import (checkpoint_globals, checkpoint_safe_globals,
                           restricted_getattr)
from .state_dict import unwrap_state_dict

__all__ = [
    'CHECKPOINT_KINDS', 'MIRROR_VARIABLE', 'PUBLISHED_URLS',
    'TORCH_EQUIVALENT', 'CheckpointError',
    'ConversionError', 'StateDictFit', 'check_compatible', 'checkpoint_error',
    'checkpoint_globals', 'checkpoint_safe_globals',
    'checkpoint_kind', 'convert_official_detector',
    'convert_official_state_dict', 'expected_hash_prefix',
    'extract_state_dict', 'fetch_weights', 'from_weights_only',
    'infer_official_arch', 'is_official_layout', 'load_checkpoint_file',
    'load_pretrained', 'load_state_dict_checked', 'mmpretrain_key',
    'official_key', 'read_checkpoint', 'register_published_weights',
    'save_atomic', 'state_dict_fit', 'to_weights_only',
    'restricted_getattr', 'unbuilt_prefixes', 'unwrap_state_dict'
]
