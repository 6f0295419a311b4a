# Copyright (c) mmconformer contributors. All rights reserved.
"""Bottom layer: imports nothing else of mmconformer."""
from . import accelerator
from .accelerator import accelerator_available
from .atomic import atomic_write
from .cpu_features import cpu_features, has_native_bf16
from .data_root import set_data_root
from .dense_task_support import dense_task_unavailable
from .quiet import silence_known_warnings

__all__ = [
    'accelerator', 'accelerator_available', 'atomic_write', 'cpu_features',
    'dense_task_unavailable', 'has_native_bf16', 'set_data_root',
    'silence_known_warnings'
]
