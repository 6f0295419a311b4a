# Copyright (c) mmconformer contributors. All rights reserved.
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
    'train_demo', 'use_tta'
]
