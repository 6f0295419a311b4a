# Copyright (c) mmconformer contributors. All rights reserved.
from .complexity import (attention_matmul_flops, fcu_down_reorder_flops,
                         get_complexity)

__all__ = [
    'attention_matmul_flops', 'fcu_down_reorder_flops', 'get_complexity'
]
