# Copyright (c) mmconformer contributors. All rights reserved.
from .epoch_rng_hook import EpochRNGHook

__all__ = ['EpochRNGHook']
