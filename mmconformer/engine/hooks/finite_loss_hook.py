# Copyright (c) mmconformer contributors. All rights reserved.
"""Stop training at the first NaN or Inf loss."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

__all__ = ['FiniteLossHook', 'NonFiniteLossError']


class NonFiniteLossError(FloatingPointError):
    """The loss of a training iteration is NaN or Inf. The message is one
    line that names the iteration and the loss entries that went bad."""


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training at once when a loss of the iteration just run is NaN or
    Inf, naming the iteration and the entries that went bad (for our head,
    ``loss_conv`` and/or ``loss_trans``), as mmdet's ``CheckInvalidLossHook``
    does for detectors.

    It runs after every training iteration, before the checkpoint hook
    (priority ``'VERY_HIGH'``), so that no checkpoint is written from the bad
    step on: the last good checkpoint and ``last_checkpoint`` stay as they
    were. It reads the losses the model already returned; mmengine's
    ``RuntimeInfoHook`` converts them to Python numbers every iteration
    anyway, so checking them adds no device synchronisation.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1.
    """
    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        if not isinstance(interval, int) or isinstance(interval, bool) or \
                interval < 1:
            raise ValueError(f'interval must be a positive int, got '
                             f'{interval!r}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner,
                                                       self.interval):
            return
        values = {
            key: float(value.detach()) if torch.is_tensor(value) else value
            for key, value in outputs.items() if 'loss' in key
        }
        bad = [key for key, value in values.items()
               if isinstance(value, float) and not math.isfinite(value)]
        if not bad:
            return
        good = ', '.join(f'{key} {values[key]:.4g}' for key in values
                         if key not in bad and key != 'loss')
        last = runner.message_hub.get_info('last_ckpt')
        message = (
            f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}): ' +
            ', '.join(f'{key} is {values[key]}' for key in bad if
                      key != 'loss' or len(bad) == 1) +
            (f' ({good})' if good else '') + '; training stopped, the last '
            'checkpoint is ' + (last or 'none (none was saved yet)'))
        runner.logger.error(message)
        raise NonFiniteLossError(message)
