# Copyright (c) mmconformer contributors. All rights reserved.
"""Safe checkpoint reading, with a diagnosis for every file it cannot read,
and atomic saving."""
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import Any, Optional

import torch

from ..utils import atomic_write
from .safe_globals import checkpoint_safe_globals

__all__ = [
    'CheckpointError', 'TORCH_EQUIVALENT', 'checkpoint_error',
    'load_checkpoint_file', 'save_atomic'
]

#: The pickled magic number that starts torch's legacy (non-zip) format,
#: after the protocol opcode: LONG1 of 10 bytes, then the number.
_LEGACY_MAGIC = b'\x8a\x0a' + torch.serialization.MAGIC_NUMBER.to_bytes(
    10, 'little')
_ZIP_MAGIC = b'PK\x03\x04'
#: How torch's weights-only unpickler names a global it will not import or
#: call; the name is kept only when it is a dotted Python identifier, so
#: bytes of a corrupt file are not reported as a global.
_FORBIDDEN_GLOBAL = re.compile(
    r'(?:Unsupported global: GLOBAL|Trying to load unsupported GLOBAL) '
    r'([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*) (?:was not|whose module)')
_FORBIDDEN_CALL = re.compile(
    r'(?:Trying to call reduce for unrecognized function|Can only create '
    r'new object for nn.Parameter or classes allowlisted via '
    r'`add_safe_globals` but got) <(?:built-in function|function|class) '
    r"'?([A-Za-z_][\w.]*)'?")


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be used. The message is one line meant for
    the user; ``reason`` says why, for programs:

    - ``'missing'``: no such file;
    - ``'empty'``: the file has no bytes;
    - ``'not_checkpoint'``: the file is not a PyTorch checkpoint (another
      format, a folder, or a saved object that is not a dict);
    - ``'corrupt'``: a PyTorch checkpoint that is truncated or damaged;
    - ``'refused'``: unpickling it would import or call a global that
      weights-only loading does not allow, which could run code;
    - ``'layout'``: readable, but not the weights that were asked for
      (missing keys, wrong shapes, another arch).

    Errors of the readers are also instances of the exception that
    ``torch.load`` raises for the same fault (:data:`TORCH_EQUIVALENT`, and
    for a damaged file the very class torch raised, e.g. ``EOFError`` for a
    truncated legacy file), so that code written for ``torch.load`` keeps
    working: ``except pickle.UnpicklingError`` catches a refused pickle,
    ``except RuntimeError`` a corrupt archive.
    """

    def __init__(self, message: str, reason: str = 'layout') -> None:
        super().__init__(message)
        self.reason = reason


#: reason -> the exception ``torch.load`` raises for that fault.
TORCH_EQUIVALENT = {
    'missing': FileNotFoundError,
    'empty': EOFError,
    'not_checkpoint': pickle.UnpicklingError,
    'corrupt': RuntimeError,
    'refused': pickle.UnpicklingError,
}
_ERROR_CLASSES: dict = {}


def checkpoint_error(message: str, reason: str,
                     cause: Optional[BaseException] = None) -> CheckpointError:
    """A :class:`CheckpointError` for ``reason`` that is also an instance of
    :data:`TORCH_EQUIVALENT` ``[reason]`` and, when given, of the class of
    ``cause`` (what torch raised)."""
    bases = [TORCH_EQUIVALENT.get(reason)]
    if cause is not None and isinstance(cause, Exception):
        bases.insert(0, type(cause))
    bases = [b for b in dict.fromkeys(bases)
             if b is not None and not issubclass(CheckpointError, b)]
    key = (reason, tuple(bases))
    if key not in _ERROR_CLASSES:
        name = ''.join(p.title() for p in reason.split('_')) + \
            'CheckpointError'
        try:
            cls = type(name, (CheckpointError, *bases), {})
        except TypeError:  # an exception class that cannot be combined
            cls = type(name, (CheckpointError, *bases[1:]), {})
        cls.__module__ = __name__
        _ERROR_CLASSES[key] = cls
    cls = _ERROR_CLASSES[key]
    # One argument: OSError's constructor would read two as (errno, text).
    error = cls(message)
    error.reason = reason
    return error


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return f'{type(err).__name__}: {text.splitlines()[0]}' if text else \
        type(err).__name__


def _check_archive(path: str) -> None:
    """A torch zip checkpoint: readable directory, a ``data.pkl``, and every
    member matching its CRC-32 (torch itself does not check them, so a
    flipped bit would load silently)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if not any(i.filename.endswith('data.pkl') for i in infos):
                raise checkpoint_error(
                    f'{path} is not a PyTorch checkpoint: a zip archive '
                    f'without data.pkl', 'not_checkpoint')
            for info in infos:
                # torch.save can be told not to compute CRCs (they are 0).
                if info.CRC == 0:
                    continue
                try:
                    with archive.open(info) as member:
                        while member.read(1 << 24):
                            pass
                except zipfile.BadZipFile as err:
                    if not info.filename.endswith('data.pkl'):
                        raise
                    # a damaged pickle: what torch would fail to unpickle
                    raise checkpoint_error(
                        f'cannot read {path}: the checkpoint is truncated or '
                        f'corrupt ({_first_line(err)})', 'corrupt',
                        pickle.UnpicklingError()) from err
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
            ValueError, NotImplementedError) as err:
        raise checkpoint_error(
            f'cannot read {path}: the checkpoint is truncated or corrupt '
            f'({_first_line(err)})', 'corrupt') from err


def _diagnose_unpickling(path: str, err: BaseException) -> CheckpointError:
    text = str(err)
    match = _FORBIDDEN_GLOBAL.search(text) or _FORBIDDEN_CALL.search(text)
    if match:
        return checkpoint_error(
            f'refusing to load {path}: unpickling it would import or call '
            f'{match.group(1)}, which weights-only loading does not allow '
            f'because it could run code', 'refused', err)
    detail = re.sub(r'\s+', ' ', text.split('WeightsUnpickler error:')[-1]
                    ).strip()[:200] if isinstance(
                        err, pickle.UnpicklingError) else ''
    return checkpoint_error(
        f'cannot read {path}: the checkpoint is truncated or corrupt '
        f'({type(err).__name__}' + (f': {detail})' if detail else ')'),
        'corrupt', err)


def load_checkpoint_file(path: str) -> Any:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    Only tensors, containers and plain values are unpickled, plus the few
    types of mmengine's training checkpoints and ``argparse.Namespace`` (the
    ``args`` entry that DeiT-style training scripts save), allowed for this
    load only (:func:`~.safe_globals.checkpoint_safe_globals`). A pickle
    that would import or call anything else is refused, so no code from the
    file runs. Before anything
    is unpickled, the file must start like a PyTorch checkpoint (a zip
    archive, or torch's legacy pickle format), and a zip archive must pass
    its CRC-32 checks.

    Args:
        path (str): Path of the checkpoint file.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        CheckpointError: With one line that says what is wrong, and
            ``reason`` one of ``'missing'``, ``'empty'``,
            ``'not_checkpoint'``, ``'corrupt'`` or ``'refused'``.
    """
    if not osp.exists(path):
        raise checkpoint_error(f'checkpoint not found: {path}', 'missing')
    if not osp.isfile(path):
        raise checkpoint_error(
            f'{path} is not a checkpoint file (a folder?)', 'not_checkpoint')
    try:
        with open(path, 'rb') as f:
            head = f.read(len(_LEGACY_MAGIC) + 2)
    except OSError as err:
        raise checkpoint_error(
            f'cannot read {path}: {_first_line(err)}',
            'missing' if isinstance(err, FileNotFoundError) else 'corrupt')
    if not head:
        raise checkpoint_error(f'checkpoint {path} is empty (0 bytes)',
                               'empty')
    if head.startswith(_ZIP_MAGIC):
        _check_archive(path)
    elif not (head[:1] == b'\x80' and head[2:] == _LEGACY_MAGIC):
        raise checkpoint_error(
            f'{path} is not a PyTorch checkpoint (it starts with '
            f'{head[:8]!r}, neither a zip archive nor torch\'s pickle '
            f'format)', 'not_checkpoint')
    try:
        with checkpoint_safe_globals(), warnings.catch_warnings():
            # A damaged legacy file can name another pickle protocol; torch
            # warns about it before failing. The failure is what we report.
            warnings.filterwarnings(
                'ignore', message='Detected pickle protocol',
                category=UserWarning)
            checkpoint = torch.load(path, map_location='cpu',
                                    weights_only=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # noqa: B902  (anything from pickle)
        raise _diagnose_unpickling(path, err) from err
    if not isinstance(checkpoint, dict):
        raise checkpoint_error(
            f'{path} is not a checkpoint: it holds a '
            f'{type(checkpoint).__name__}, not a dict of weights',
            'not_checkpoint')
    return checkpoint


def save_atomic(obj: Any, path: str) -> None:
    """``torch.save`` through :func:`mmconformer.utils.atomic_write`: an
    interrupted or failed write leaves any existing ``path`` untouched and
    no partial file behind."""
    with atomic_write(path, 'wb') as f:
        torch.save(obj, f)
