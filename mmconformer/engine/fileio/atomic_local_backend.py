# Copyright (c) mmconformer contributors. All rights reserved.
"""mmengine's local file backend, writing every file atomically."""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from ...utils import atomic_write

__all__ = ['AtomicLocalBackend']


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` and ``put_text`` go through
    :func:`mmconformer.utils.atomic_write`: a checkpoint, log or config is
    either its old content or the complete new one, never a part, whether
    the write fails (a full disk) or the process is killed.

    Select it with ``backend_args=dict(backend='atomic_local')``, e.g. in a
    ``CheckpointHook``; :class:`~mmconformer.engine.AtomicCheckpointHook`
    uses it by default.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (folders are created)."""
        with atomic_write(str(filepath), 'wb') as f:
            f.write(obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (folders are created)."""
        if encoding.lower().replace('-', '') != 'utf8':
            raise ValueError(f'atomic_local writes UTF-8 text, got encoding '
                             f'{encoding!r}')
        with atomic_write(str(filepath), 'w') as f:
            f.write(obj)
