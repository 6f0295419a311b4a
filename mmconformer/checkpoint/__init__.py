# Copyright (c) mmconformer contributors. All rights reserved.
"""Reading, converting and checking checkpoints. Imports only torch, mmengine
and ``mmconformer.utils``: never the models."""
from .compatibility import check_compatible
from .io import CheckpointError, load_checkpoint_file, save_atomic
from .official_converter import (ConversionError, convert_official_state_dict,
                                 infer_official_arch, is_official_layout,
                                 official_key)
from .pretrained import extract_state_dict, load_pretrained

__all__ = [
    'CheckpointError', 'ConversionError', 'check_compatible',
    'convert_official_state_dict', 'extract_state_dict',
    'infer_official_arch', 'is_official_layout',
    'load_checkpoint_file', 'load_pretrained', 'official_key', 'save_atomic'
]
