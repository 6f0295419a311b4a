# Copyright (c) mmconformer contributors. All rights reserved.
"""Safe checkpoint reading and atomic writing."""
import argparse
import os
import os.path as osp
import pickle
import tempfile
import zipfile
from typing import Any

import torch

__all__ = ['CheckpointError', 'load_checkpoint_file', 'save_atomic']


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable, unsafe or of the wrong
    layout. The message is one line meant for the user."""


def load_checkpoint_file(path: str) -> Any:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    Only tensors, containers and plain values are unpickled, plus
    ``argparse.Namespace`` (the ``args`` entry that DeiT-style training
    scripts save), which holds data only. A pickle that would import or call
    anything else is refused, so no code from the file runs.

    Raises:
        CheckpointError: the file is missing, truncated/corrupt, or unsafe.
    """
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        raise CheckpointError(
            f'refusing to load {path}: it contains pickled objects that '
            f'weights_only loading does not allow, and unpickling them could '
            f'run code ({first})') from err
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            OSError) as err:
        raise CheckpointError(
            f'cannot read {path}: not a valid PyTorch checkpoint (truncated '
            f'or corrupt?): {type(err).__name__}: '
            f'{str(err).strip().splitlines()[0] if str(err).strip() else ""}'
        ) from err


def save_atomic(obj: Any, path: str) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename.

    An interrupted or failed write leaves any existing ``path`` untouched and
    no partial file behind.
    """
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
