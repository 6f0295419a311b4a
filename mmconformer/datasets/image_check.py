# Copyright (c) mmconformer contributors. All rights reserved.
"""Refuse an image file that cannot be read completely, before decoding.

mmcv's ``LoadImageFromFile`` decodes with OpenCV, which reads most of what
real image folders hold (grayscale, CMYK JPEGs, 16-bit PNGs and PNGs named
``.jpg`` all become 8-bit 3-channel images), but decodes a truncated JPEG
with a grey bottom and only a warning on stderr, and fails on an empty or
non-image file with an ``AssertionError`` deep in a traceback.
:class:`CheckImageFile`, placed before the loader, names the file and the
problem instead, or skips the file when told to.
"""
import os.path as osp
from typing import Optional

from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

__all__ = [
    'CheckImageFile', 'UnreadableImageError', 'bytes_problem',
    'decode_problem', 'find_unreadable_images', 'image_file_problem'
]

#: File signatures of the formats OpenCV decodes, by name.
SIGNATURES = {
    'JPEG': (b'\xff\xd8\xff', ),
    'PNG': (b'\x89PNG\r\n\x1a\n', ),
    'GIF': (b'GIF87a', b'GIF89a'),
    'BMP': (b'BM', ),
    'TIFF': (b'II*\x00', b'MM\x00*'),
    'WebP': (b'RIFF', ),
}
#: Bytes read from each end of a local file to check it.
_PEEK = 64


class UnreadableImageError(ValueError):
    """An image file cannot be read completely. The message is one line:
    the file and the problem."""


def bytes_problem(head: bytes, tail: bytes, size: int) -> Optional[str]:
    """What is wrong with an image file, from its size and its first and
    last bytes, or None: empty, not an image format OpenCV decodes, or
    truncated (a JPEG without its end-of-image marker, a PNG without its
    final ``IEND`` chunk)."""
    if size == 0:
        return 'empty file (0 bytes)'
    kind = next((name for name, marks in SIGNATURES.items()
                 if head.startswith(marks)), None)
    if kind is None or (kind == 'WebP' and head[8:12] != b'WEBP'):
        return f'not an image file (it starts with {head[:8]!r})'
    end = tail.rstrip(b'\x00\r\n\t ')
    if kind == 'JPEG' and not end.endswith(b'\xff\xd9'):
        return 'truncated JPEG (it ends before its end-of-image marker)'
    if kind == 'PNG' and b'IEND' not in end[-12:]:
        return 'truncated PNG (it ends before its IEND chunk)'
    return None


def image_file_problem(path: str,
                       backend_args: Optional[dict] = None) -> Optional[str]:
    """What is wrong with the image file at ``path`` (see
    :func:`bytes_problem`; also a missing or unreadable file), or None.

    A local file is checked from its two ends; a file of another mmengine
    backend (``backend_args``) is fetched whole."""
    try:
        if backend_args is None and '://' not in str(path):
            size = osp.getsize(path)
            with open(path, 'rb') as f:
                head = f.read(_PEEK)
                f.seek(max(0, size - _PEEK))
                tail = f.read()
        else:
            data = fileio.get(path, backend_args=backend_args)
            head, tail, size = data[:_PEEK], data[-_PEEK:], len(data)
    except Exception as err:  # any backend's: a missing or unreadable file
        return f'cannot read it ({type(err).__name__}: {err})'
    return bytes_problem(head, tail, size)


@TRANSFORMS.register_module()
class CheckImageFile(BaseTransform):
    """Check the file at ``results['img_path']`` before
    ``LoadImageFromFile`` decodes it (:func:`image_file_problem`): an empty,
    truncated or non-image file stops the run with one line naming the file
    and the problem (:class:`UnreadableImageError`), or, with
    ``skip_unreadable=True``, is skipped: the transform returns None, so that
    mmengine's dataset draws another sample, and a warning names the file and
    counts the skips of this loader process.

    Results without an ``img_path``, or with an ``img`` already loaded (what
    mmpretrain's Inferencers and FeatureExtractor pass, having removed
    ``LoadImageFromFile`` themselves), go through unchecked.

    Args:
        skip_unreadable (bool): Skip unreadable files instead of stopping.
            Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments, as
            the loader's. Defaults to None (local files).
    """

    def __init__(self, skip_unreadable: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if not isinstance(skip_unreadable, bool):
            raise TypeError(f'skip_unreadable must be a bool, got '
                            f'{skip_unreadable!r}')
        self.skip_unreadable = skip_unreadable
        self.backend_args = backend_args
        self.skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('img_path')
        if path is None or 'img' in results:
            return results
        problem = image_file_problem(path, self.backend_args)
        if problem is None:
            return results
        if not self.skip_unreadable:
            raise UnreadableImageError(f'{path}: {problem}')
        self.skipped += 1
        print_log(f'skipped {path}: {problem} ({self.skipped} unreadable '
                  f'image(s) skipped by this loader process)',
                  logger='current', level=30)
        return None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(skip_unreadable='
                f'{self.skip_unreadable}, backend_args={self.backend_args})')


def decode_problem(path: str,
                   backend_args: Optional[dict] = None) -> Optional[str]:
    """:func:`image_file_problem`, then a full decode as mmcv's
    ``LoadImageFromFile`` does it (OpenCV, colour): what a pre-flight check
    of a dataset reports for one file, or None."""
    problem = image_file_problem(path, backend_args)
    if problem is not None:
        return problem
    import mmcv
    try:
        image = mmcv.imfrombytes(fileio.get(path, backend_args=backend_args),
                                 flag='color', backend='cv2')
    except Exception as err:  # the decoder's own refusal
        return f'does not decode ({type(err).__name__}: {err})'
    if image is None:
        return 'does not decode (OpenCV returned no image)'
    return None


def find_unreadable_images(paths, num_process: int = 1,
                           backend_args: Optional[dict] = None):
    """Check every image of ``paths`` with :func:`decode_problem`, in
    ``num_process`` processes, with mmengine's progress bar.

    Returns:
        list[tuple[str, str]]: ``(path, problem)`` of every unreadable image,
        in the order of ``paths``.
    """
    from functools import partial

    from mmengine.utils import track_parallel_progress, track_progress
    paths = list(paths)
    check = partial(decode_problem, backend_args=backend_args)
    problems = track_parallel_progress(check, paths, num_process) \
        if num_process > 1 else track_progress(check, paths)
    return [(path, problem) for path, problem in zip(paths, problems)
            if problem is not None]
