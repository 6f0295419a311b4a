# Copyright (c) mmconformer contributors. All rights reserved.
"""Bottom layer: imports nothing else of mmconformer."""
from . import accelerator
from .accelerator import accelerator_available
from .atomic import atomic_write
from .cli import ToolError, check_device, check_files, cli_main, tool_logger
from .cpu_features import (cpu_features, cpu_model_name,
                           has_int8_dot_product, has_native_bf16)
from .data_root import set_data_root
from .dense_task_support import dense_task_unavailable
from .quiet import silence_known_warnings

__all__ = [
    'ToolError', 'accelerator', 'accelerator_available', 'atomic_write',
    'check_device', 'check_files', 'cli_main', 'cpu_features',
    'cpu_model_name', 'dense_task_unavailable', 'has_int8_dot_product',
    'has_native_bf16', 'set_data_root', 'silence_known_warnings',
    'tool_logger'
]
