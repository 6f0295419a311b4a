# Copyright (c) mmconformer contributors. All rights reserved.
"""Bottom layer: imports nothing else of mmconformer."""
from . import accelerator
from .accelerator import accelerator_available
from .atomic import atomic_write, remove_stale_temporaries
from .cli import (ToolError, add_calibration_args, add_classifier_args,
                  check_device, check_files, cli_main, export_parser,
                  int_at_least, tool_logger)
from .cpu_features import (cpu_class, cpu_features, cpu_model_name,
                           has_int8_dot_product, has_native_bf16)
from .data_root import set_data_root
from .dense_task_support import dense_task_unavailable
from .isa_cap import ISA_CAPS, isa_cap, isa_cap_environment, run_capped
from .optional_packages import (onnxruntime_available, openvino_available,
                                torchao_available)
from .provenance import machine_description, provenance
from .quiet import silence_known_warnings

__all__ = [
    'ISA_CAPS', 'ToolError', 'accelerator', 'accelerator_available',
    'add_calibration_args', 'add_classifier_args', 'atomic_write',
    'check_device', 'check_files', 'cli_main', 'cpu_class', 'cpu_features',
    'cpu_model_name', 'dense_task_unavailable', 'export_parser',
    'has_int8_dot_product',
    'has_native_bf16', 'int_at_least', 'isa_cap', 'isa_cap_environment',
    'machine_description', 'onnxruntime_available', 'openvino_available',
    'provenance', 'remove_stale_temporaries', 'run_capped', 'set_data_root',
    'silence_known_warnings', 'tool_logger', 'torchao_available'
]
