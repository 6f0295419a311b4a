# Copyright (c) mmconformer contributors. All rights reserved.
from .dist import init_cpu_process_group

__all__ = ['init_cpu_process_group']
