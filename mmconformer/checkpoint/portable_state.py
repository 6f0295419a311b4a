# Copyright (c) mmconformer contributors. All rights reserved.
"""Training checkpoints that any ``torch.load(weights_only=True)`` reads.

mmengine 0.10.7 saves the message hub's ``HistoryBuffer`` objects (with
numpy arrays) and numpy scalars in its checkpoints; torch >= 2.6 refuses
them in its default weights-only load, so mmpretrain's tools cannot read a
training checkpoint, and an allowlist would have to be process-wide.
:func:`to_weights_only` stores them as plain containers instead, and
:func:`from_weights_only` restores them for ``--resume``
(``AtomicCheckpointHook`` does both).
"""
import copy
from typing import Any

import numpy as np
from mmengine.logging import HistoryBuffer

__all__ = ['from_weights_only', 'to_weights_only']

_BUFFER = '__history_buffer__'
_ARRAY = '__ndarray__'


def to_weights_only(obj: Any) -> Any:
    """``obj`` with every ``HistoryBuffer`` and numpy array replaced by a
    tagged dict of lists, and every numpy scalar by its Python value;
    tensors and other values as they are (containers are copied)."""
    if isinstance(obj, HistoryBuffer):
        return {_BUFFER: dict(log_history=to_weights_only(obj._log_history),
                              count_history=to_weights_only(
                                  obj._count_history),
                              max_length=obj.max_length)}
    if isinstance(obj, np.ndarray):
        return {_ARRAY: obj.tolist(), 'dtype': str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    return _map(obj, to_weights_only)


def from_weights_only(obj: Any) -> Any:
    """The inverse of :func:`to_weights_only` (numpy scalars come back as
    Python numbers)."""
    if isinstance(obj, dict) and set(obj) == {_BUFFER}:
        state = from_weights_only(obj[_BUFFER])
        return HistoryBuffer(state['log_history'], state['count_history'],
                             state['max_length'])
    if isinstance(obj, dict) and set(obj) == {_ARRAY, 'dtype'}:
        return np.array(obj[_ARRAY], dtype=obj['dtype'])
    return _map(obj, from_weights_only)


def _map(obj: Any, fn) -> Any:
    if isinstance(obj, dict):
        out = copy.copy(obj)  # keeps OrderedDict and other dict types
        for key, value in obj.items():
            out[key] = fn(value)
        return out
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return type(obj)(fn(value) for value in obj)
    return obj
