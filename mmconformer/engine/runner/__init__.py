# Copyright (c) mmconformer contributors. All rights reserved.
from .build_runner import build_runner
from .demo_run import train_demo
from .portable_runner import (PortableRunner, cpu_model_wrapper_cfg,
                              init_cpu_process_group, unscaled_lr_warning)
from .tta import use_tta

__all__ = [
    'PortableRunner', 'build_runner', 'cpu_model_wrapper_cfg',
    'init_cpu_process_group', 'train_demo', 'unscaled_lr_warning',
    'use_tta'
]
