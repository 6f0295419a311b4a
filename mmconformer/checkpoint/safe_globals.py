# Copyright (c) mmconformer contributors. All rights reserved.
"""What ``torch.load(weights_only=True)`` may build while we read a
checkpoint: the few non-tensor types of mmengine's training checkpoints
(the message hub's ``HistoryBuffer``, with numpy arrays and scalars), and
the ``argparse.Namespace`` of DeiT-style scripts.

They are allowed only inside :func:`checkpoint_safe_globals`, a context
around our own loads (torch's public ``safe_globals``): importing
mmconformer leaves torch's process-wide allowlist as it was, and
``weights_only`` is never switched off.

One entry needs care: pickle stores the statistics functions of
``HistoryBuffer`` (``HistoryBuffer.min`` ...) as ``getattr(HistoryBuffer,
'min')``. Allowing ``builtins.getattr`` itself would let a crafted pickle
reach arbitrary attributes, so the name is bound to :func:`restricted_getattr`
instead, which resolves only those functions of ``HistoryBuffer``.
"""
import argparse
import contextlib
import pickle
from typing import Any, Iterator

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # pragma: no cover  (numpy 1.x)
    from numpy.core.multiarray import _reconstruct, scalar

__all__ = ['checkpoint_globals', 'checkpoint_safe_globals',
           'restricted_getattr']

#: Attributes that ``restricted_getattr`` may resolve, per owner.
ALLOWED_ATTRIBUTES = {
    HistoryBuffer: frozenset({'min', 'max', 'current', 'mean'}),
}


def restricted_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to :data:`ALLOWED_ATTRIBUTES`."""
    allowed = ALLOWED_ATTRIBUTES.get(obj) if isinstance(obj, type) else None
    if allowed is None or name not in allowed:
        raise pickle.UnpicklingError(
            f'getattr({obj!r}, {name!r}) is not allowed while loading a '
            f'checkpoint: only {sorted(ALLOWED_ATTRIBUTES[HistoryBuffer])} '
            f'of HistoryBuffer are')
    return getattr(obj, name)


def checkpoint_globals() -> list:
    """The smallest set of globals that mmengine's training checkpoints
    (and DeiT-style ``args``) need: what a checkpoint of our configs'
    runs holds, found by loading one."""
    return [
        argparse.Namespace,
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        _reconstruct,
        scalar,
        (restricted_getattr, 'builtins.getattr'),
    ] + [type(np.dtype(name)) for name in ('float64', 'float32', 'int64')]


@contextlib.contextmanager
def checkpoint_safe_globals() -> Iterator[None]:
    """Allow :func:`checkpoint_globals` in ``torch.load(weights_only=True)``
    inside the block only."""
    with torch.serialization.safe_globals(checkpoint_globals()):
        yield
