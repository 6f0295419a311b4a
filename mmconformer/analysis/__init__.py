# Copyright (c) mmconformer contributors. All rights reserved.
from .complexity import attention_matmul_flops, get_complexity

__all__ = ['attention_matmul_flops', 'get_complexity']
