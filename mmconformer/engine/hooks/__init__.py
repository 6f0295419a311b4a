# Copyright (c) mmconformer contributors. All rights reserved.
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .epoch_rng_hook import EpochRNGHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError

__all__ = [
    'AtomicCheckpointHook', 'EpochRNGHook', 'FiniteLossHook',
    'NonFiniteLossError'
]
