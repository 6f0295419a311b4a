# Copyright (c) mmconformer contributors. All rights reserved.
"""The weights inside a checkpoint, whatever wraps them."""
from typing import Any, Dict, Sequence, Type

import torch

from .io import CheckpointError

__all__ = ['unwrap_state_dict']


def unwrap_state_dict(checkpoint: Any,
                      keys: Sequence[str] = ('state_dict', 'model'),
                      error: Type[CheckpointError] = CheckpointError
                      ) -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint: under the first of ``keys`` that
    holds a dict (mmengine's ``state_dict``, the official repository's
    ``model``), else the checkpoint itself.

    Args:
        checkpoint: What ``torch.load`` returned.
        keys (Sequence[str]): The wrapping keys to look under, in order.
            Defaults to ``('state_dict', 'model')``.
        error (type): The :class:`CheckpointError` class to raise.
            Defaults to :class:`CheckpointError`.

    Raises:
        CheckpointError: (``error``, reason ``not_checkpoint``) not a
            non-empty dict, or an entry that is not a tensor (the first is
            named).
    """
    if isinstance(checkpoint, dict) or hasattr(checkpoint, 'items'):
        for key in keys:
            if hasattr(checkpoint.get(key), 'items'):
                checkpoint = checkpoint[key]
                break
    if not hasattr(checkpoint, 'items') or not checkpoint:
        raise error(f'expected a checkpoint (a dict of tensors), got '
                    f'{type(checkpoint).__name__}', 'not_checkpoint')
    bad = [k for k, v in checkpoint.items() if not torch.is_tensor(v)]
    if bad:
        raise error(f'not a state dict of weights: entry {bad[0]!r} is a '
                    f'{type(checkpoint[bad[0]]).__name__}, not a tensor',
                    'not_checkpoint')
    return dict(checkpoint)
