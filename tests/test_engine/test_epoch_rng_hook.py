import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmpretrain.registry import HOOKS

from mmconformer.engine import EpochRNGHook


def draw():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def runner(seed, epoch):
    return SimpleNamespace(seed=seed, epoch=epoch)


def test_registered_in_mmpretrain_hooks():
    assert HOOKS.get('EpochRNGHook') is EpochRNGHook
    assert isinstance(HOOKS.build(dict(type='EpochRNGHook')), EpochRNGHook)


def test_epoch_start_state_depends_only_on_seed_and_epoch():
    hook = EpochRNGHook()
    hook.before_train_epoch(runner(0, 3))
    first = draw()
    draw()  # history in between
    random.random()
    hook.before_train_epoch(runner(0, 3))
    assert draw() == first
    hook.before_train_epoch(runner(0, 4))
    other_epoch = draw()
    hook.before_train_epoch(runner(1, 3))
    other_seed = draw()
    assert len({first, other_epoch, other_seed}) == 3
    # every RNG differs between epochs, not only one of them
    assert all(a != b for a, b in zip(first, other_epoch))


def test_seed_argument_overrides_runner_seed():
    EpochRNGHook(seed=7).before_train_epoch(runner(0, 1))
    fixed = draw()
    EpochRNGHook(seed=7).before_train_epoch(runner(123, 1))
    assert draw() == fixed
    EpochRNGHook().before_train_epoch(runner(0, 1))
    assert draw() != fixed


def test_bad_seed():
    with pytest.raises(TypeError, match='seed'):
        EpochRNGHook(seed='0')
