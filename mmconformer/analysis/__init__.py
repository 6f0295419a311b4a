# Copyright (c) mmconformer contributors. All rights reserved.
from .complexity import fcu_down_reorder_flops, get_complexity

__all__ = ['fcu_down_reorder_flops', 'get_complexity']
