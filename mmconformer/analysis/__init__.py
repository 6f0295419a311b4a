# Copyright (c) mmconformer contributors. All rights reserved.
from .complexity import fcu_down_reorder_flops, get_complexity
from .gemm_peak import gemm_ops, gemm_peak, timed_call

__all__ = [
    'fcu_down_reorder_flops', 'get_complexity', 'gemm_ops', 'gemm_peak',
    'timed_call'
]
