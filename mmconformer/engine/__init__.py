# Copyright (c) mmconformer contributors. All rights reserved.
from .checkpoint_safe_globals import (mmengine_checkpoint_safe_globals,
                                      register_mmengine_safe_globals,
                                      restricted_getattr)
from .hooks import EpochRNGHook
from .optimizers import (BF16AutocastOptimWrapper,
                         PortableOptimWrapperConstructor)
from .runner import PortableRunner, build_runner

__all__ = [
    'BF16AutocastOptimWrapper', 'EpochRNGHook',
    'PortableOptimWrapperConstructor', 'PortableRunner', 'build_runner',
    'mmengine_checkpoint_safe_globals', 'register_mmengine_safe_globals',
    'restricted_getattr'
]
