# Copyright (c) mmconformer contributors. All rights reserved.
"""Reseed every RNG at the start of each training epoch."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 32-bit seed mixed from ``(seed, epoch, rank)`` by numpy's
    SeedSequence, so that nearby inputs give unrelated streams."""
    state = np.random.SeedSequence([seed % 2**32, epoch, rank])
    return int(state.generate_state(1)[0])


@HOOKS.register_module()
class EpochRNGHook(Hook):
    """Make every training epoch start from RNG states that depend only on
    ``(seed, epoch, rank)``.

    mmengine keeps no RNG state in its checkpoints: a resumed process starts
    its RNGs from the seed again, so drop path, data augmentation in the main
    process and anything else random in epoch ``k + 1`` differ from an
    uninterrupted run. Reseeding Python's ``random``, numpy's global RNG and
    torch (CPU and every CUDA device) at the start of each epoch removes that
    history: with ``randomness=dict(seed=..., deterministic=True)`` a run
    resumed from the checkpoint of epoch ``k`` is bit-identical to the
    uninterrupted run.

    Data-loader workers draw from their own RNGs, seeded by mmengine's
    ``worker_init_fn`` when they start; with ``persistent_workers=True`` they
    keep their state across epochs, which a resumed run cannot reproduce. Use
    ``num_workers=0`` or ``persistent_workers=False`` where bit-identity
    matters.

    Args:
        seed (int, optional): Base seed. Defaults to None, which uses the
            runner's seed (``randomness.seed``, or the one mmengine drew).
    """
    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        if seed is not None and (not isinstance(seed, int)
                                 or isinstance(seed, bool)):
            raise TypeError(f'seed must be an int or None, got {seed!r}')
        self.seed = seed

    def before_train_epoch(self, runner) -> None:
        base = self.seed if self.seed is not None else runner.seed
        value = epoch_seed(int(base), runner.epoch, get_rank())
        random.seed(value)
        np.random.seed(value)
        torch.manual_seed(value)  # also seeds every CUDA device
