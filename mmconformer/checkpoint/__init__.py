# Copyright (c) mmconformer contributors. All rights reserved.
"""Reading, converting and checking checkpoints. Imports only torch, mmengine
and ``mmconformer.utils``: never the models."""
from .compatibility import StateDictFit, check_compatible, state_dict_fit
from .io import (TORCH_EQUIVALENT, CheckpointError, checkpoint_error,
                 load_checkpoint_file, save_atomic)
from .official_converter import (ConversionError, convert_official_state_dict,
                                 infer_official_arch, is_official_layout,
                                 official_key)
from .pretrained import (extract_state_dict, load_pretrained,
                         load_state_dict_checked, read_checkpoint,
                         unbuilt_prefixes)

__all__ = [
    'TORCH_EQUIVALENT', 'CheckpointError', 'ConversionError', 'StateDictFit',
    'check_compatible', 'checkpoint_error', 'convert_official_state_dict',
    'extract_state_dict', 'infer_official_arch', 'is_official_layout',
    'load_checkpoint_file', 'load_pretrained', 'load_state_dict_checked',
    'official_key', 'read_checkpoint', 'save_atomic', 'state_dict_fit',
    'unbuilt_prefixes'
]
