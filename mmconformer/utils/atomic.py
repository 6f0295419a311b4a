# Copyright (c) mmconformer contributors. All rights reserved.
"""The one atomic-write helper of the package."""
import contextlib
import os
import os.path as osp
import tempfile
from typing import IO, Iterator

__all__ = ['atomic_write']


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'wb') -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success flush
    it to disk and rename it to ``path``.

    An exception inside the ``with`` block (or a process killed while
    writing) leaves an existing ``path`` untouched and no partial file
    behind. Missing parent folders are created.

    Args:
        path (str): The file to write.
        mode (str): ``'wb'`` (binary) or ``'w'`` (text, UTF-8).
            Defaults to ``'wb'``.

    Example:
        >>> with atomic_write('out.json', 'w') as f:
        ...     json.dump(data, f)
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=directory)
    try:
        kwargs = {'encoding': 'utf-8'} if mode == 'w' else {}
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
