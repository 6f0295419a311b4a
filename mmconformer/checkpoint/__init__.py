# Copyright (c) mmconformer contributors. All rights reserved.
from .io import CheckpointError, load_checkpoint_file, save_atomic
from .official_converter import (ConversionError, checkpoint_filter_fn,
                                 convert_official_state_dict,
                                 infer_official_arch, is_official_layout)
from .pretrained import extract_state_dict, load_pretrained

__all__ = [
    'CheckpointError', 'ConversionError', 'checkpoint_filter_fn',
    'extract_state_dict', 'load_pretrained',
    'convert_official_state_dict', 'infer_official_arch',
    'is_official_layout', 'load_checkpoint_file', 'save_atomic'
]
