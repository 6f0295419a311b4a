"""Faults the tests inject into real training runs, registered under names
of their own (a config imports this module through custom_imports)."""
import os
import signal

import torch
from mmengine.fileio import register_backend
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmconformer.engine import AtomicLocalBackend
from mmconformer.utils import atomic_write


@HOOKS.register_module()
class PoisonConvHeadHook(Hook):
    """Make the CNN head's weights NaN before iteration ``at_iter`` (counted
    from 0), so that ``loss_conv`` goes bad and ``loss_trans`` does not."""

    def __init__(self, at_iter: int) -> None:
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at_iter:
            model = getattr(runner.model, 'module', runner.model)
            with torch.no_grad():
                model.head.conv_cls_head.weight.fill_(float('nan'))


@register_backend('atomic_local_killed_in_epoch_2_save')
class KilledInSecondSave(AtomicLocalBackend):
    """The atomic backend, but the process is SIGKILLed halfway through
    writing ``epoch_2.pth``: a deterministic ``kill -9`` during a save."""

    def put(self, obj, filepath):
        if not str(filepath).endswith('epoch_2.pth'):
            return super().put(obj, filepath)
        with atomic_write(str(filepath), 'wb') as f:
            f.write(obj[:len(obj) // 2])
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
