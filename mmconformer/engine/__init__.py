# Copyright (c) mmconformer contributors. All rights reserved.
from .checkpoint_safe_globals import (mmengine_checkpoint_safe_globals,
                                      register_mmengine_safe_globals,
                                      restricted_getattr)
from .fileio import AtomicLocalBackend
from .hooks import (AtomicCheckpointHook, EpochRNGHook, FiniteLossHook,
                    NonFiniteLossError)
from .optimizers import (BF16AutocastOptimWrapper,
                         PortableOptimWrapperConstructor)
from .runner import PortableRunner, build_runner, train_demo, use_tta

__all__ = [
    'AtomicCheckpointHook', 'AtomicLocalBackend', 'BF16AutocastOptimWrapper',
    'EpochRNGHook', 'FiniteLossHook', 'NonFiniteLossError',
    'PortableOptimWrapperConstructor', 'PortableRunner', 'build_runner',
    'mmengine_checkpoint_safe_globals', 'register_mmengine_safe_globals',
    'restricted_getattr', 'train_demo', 'use_tta'
]
