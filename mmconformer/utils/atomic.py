# Copyright (c) mmconformer contributors. All rights reserved.
"""The one atomic-write helper of the package, written the way databases
(PostgreSQL, SQLite) replace a file: a temporary file beside it, fsync,
rename, fsync the folder."""
import contextlib
import errno
import glob
import os
import os.path as osp
import re
import uuid
from typing import IO, Iterator, List

__all__ = ['TEMP_SUFFIX', 'atomic_write', 'remove_stale_temporaries']

#: Temporary files are hidden (a leading dot) and end with this suffix, so
#: that no glob for outputs (``*.pth``, ``*.png``, ``*.json``) matches them.
TEMP_SUFFIX = '.mmconformer-tmp'
#: ``.<name>.<pid>.<random><TEMP_SUFFIX>``
_TEMP_NAME = re.compile(r'^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{12}' +
                        re.escape(TEMP_SUFFIX) + '$')


def _umask() -> int:
    """The process's umask: read from /proc on Linux, where setting and
    restoring it (the portable way) would race with other threads."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable. Some file systems cannot open or
    fsync a folder; the rename is then as durable as they make it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str, name: str = '*') -> List[str]:
    """Remove the temporary files that :func:`atomic_write` left in
    ``folder`` when its process was killed (their process no longer runs).

    Args:
        folder (str): The folder of the written files.
        name (str): Only the temporaries of this file name (a glob).
            Defaults to ``'*'``, all of them.

    Returns:
        list[str]: The paths removed.
    """
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder),
                                   f'.{name}.*{TEMP_SUFFIX}')):
        match = _TEMP_NAME.match(osp.basename(path))
        if match and not _pid_alive(int(match['pid'])):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
                removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'wb') -> Iterator[IO]:
    """Write ``path`` so that it is either its old content or the new one,
    never a part.

    The block writes to a temporary file in the same folder,
    ``.<name>.<pid>.<random>.mmconformer-tmp``; when the block ends without
    an exception the file is flushed and fsynced, renamed over ``path``
    (atomic on POSIX file systems), and the folder is fsynced, so that the
    rename survives a power loss. Missing parent folders are created.

    What is guaranteed:

    - an exception in the block (a full disk included) removes the
      temporary file and leaves an existing ``path`` untouched;
    - a killed process leaves an existing ``path`` untouched, and its
      temporary file behind; the next write of the same ``path``, or
      :func:`remove_stale_temporaries`, removes it once no process of that
      id runs;
    - a new file gets the mode a plain ``open()`` would give it (``0o666``
      less the umask); a replaced file keeps its mode.

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
    path = osp.abspath(path)
    folder, name = osp.split(path)
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder, glob.escape(name))
    try:
        file_mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        file_mode = 0o666 & ~_umask()
    tmp_path = osp.join(
        folder, f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}')
    kwargs = {'encoding': 'utf-8'} if mode == 'w' else {}
    try:
        with os.fdopen(
                os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                        0o600), mode, **kwargs) as f:
            os.fchmod(f.fileno(), file_mode)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp_path)
        raise
    _fsync_folder(folder)
