# Copyright (c) mmconformer contributors. All rights reserved.
"""Let ``torch.load(weights_only=True)`` read mmengine's training checkpoints.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7
checkpoints hold a few non-tensor types (the message hub's ``HistoryBuffer``
with numpy arrays and scalars), so ``--resume`` fails. This allowlists
exactly those types through torch's public ``add_safe_globals``; it does not
switch ``weights_only`` off.

One entry needs care: pickle stores the statistics functions of
``HistoryBuffer`` (``HistoryBuffer.min`` ...) as ``getattr(HistoryBuffer,
'min')``. Allowing ``builtins.getattr`` itself would let a crafted pickle
reach arbitrary attributes, so the name is bound to :func:`restricted_getattr`
instead, which resolves only those functions of ``HistoryBuffer``.
"""
import pickle
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # pragma: no cover  (numpy 1.x)
    from numpy.core.multiarray import _reconstruct, scalar

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


def _numpy_dtype_classes() -> list:
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is None:  # pragma: no cover  (numpy < 1.25)
        return []
    return [
        cls for cls in vars(dtypes).values()
        if isinstance(cls, type) and issubclass(cls, np.dtype)
    ]


def mmengine_checkpoint_safe_globals() -> list:
    """The globals that mmengine's training checkpoints need."""
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        _reconstruct,
        scalar,
        (restricted_getattr, 'builtins.getattr'),
    ] + _numpy_dtype_classes()


def register_mmengine_safe_globals() -> None:
    """Allowlist them process-wide (idempotent)."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_safe_globals())
