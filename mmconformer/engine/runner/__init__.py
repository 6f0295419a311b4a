# Copyright (c) mmconformer contributors. All rights reserved.
from .portable_runner import (PortableRunner, cpu_model_wrapper_cfg,
                              init_cpu_process_group)

__all__ = ['PortableRunner', 'cpu_model_wrapper_cfg', 'init_cpu_process_group']
