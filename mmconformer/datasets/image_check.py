# Copyright (c) mmconformer contributors. All rights reserved.
"""Refuse an image file that cannot be read completely, as the loader reads
it.

mmcv's ``LoadImageFromFile`` decodes with OpenCV, which reads most of what
real image folders hold (grayscale, CMYK JPEGs, 16-bit PNGs and PNGs named
``.jpg`` all become 8-bit 3-channel images), but decodes a truncated JPEG
with a grey bottom and only a warning on stderr, and fails on an empty or
non-image file with an ``AssertionError`` deep in a traceback.

:class:`CheckedImageBackend` is an mmengine file backend that the loader
reads through (``LoadImageFromFile(backend_args=dict(backend=
'checked_image'))``): it fetches each file once, through the backend that
would have fetched it anyway, and checks the bytes before they are decoded.
The loader stays the first step of the pipeline, where mmpretrain's
Inferencers, mmdeploy, mmdet and mmseg look for it.
"""
from typing import Optional, Tuple

from mmengine import fileio
from mmengine.fileio import BaseStorageBackend, register_backend
from mmengine.logging import print_log

__all__ = [
    'CHECKED_BACKEND', 'CheckedImageBackend', 'UnreadableImageError',
    'bytes_problem', 'decode_problem', 'find_unreadable_images',
    'read_image_file'
]

#: The name the checking backend is registered under in mmengine.
CHECKED_BACKEND = 'checked_image'

#: File signatures of the formats OpenCV decodes, by name.
SIGNATURES = {
    'JPEG': (b'\xff\xd8\xff', ),
    'PNG': (b'\x89PNG\r\n\x1a\n', ),
    'GIF': (b'GIF87a', b'GIF89a'),
    'BMP': (b'BM', ),
    'TIFF': (b'II*\x00', b'MM\x00*'),
    'WebP': (b'RIFF', ),
}
#: Bytes of each end of a file that the check looks at.
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


def read_image_file(
        path: str,
        backend_args: Optional[dict] = None
) -> Tuple[Optional[bytes], Optional[str]]:
    """Fetch the file at ``path`` once, through the mmengine backend that
    ``backend_args`` (or the path's prefix) selects, and check it.

    Returns:
        tuple: The bytes (None if the file cannot be fetched) and what is
        wrong with them (:func:`bytes_problem`, or a missing or unreadable
        file), or None.
    """
    try:
        data = fileio.get_file_backend(
            path, backend_args=backend_args, enable_singleton=True).get(path)
    except Exception as err:  # any backend's: a missing or unreadable file
        return None, f'cannot read it ({type(err).__name__}: {err})'
    return data, bytes_problem(data[:_PEEK], data[-_PEEK:], len(data))


@register_backend(CHECKED_BACKEND)
class CheckedImageBackend(BaseStorageBackend):
    """An mmengine file backend for image loaders: :meth:`get` fetches the
    file through the backend it would have used anyway, once, and checks
    the bytes (:func:`read_image_file`). An empty, truncated or non-image
    file raises :class:`UnreadableImageError`, one line naming the file and
    the problem.

    Select it in the loader, which stays the first step of the pipeline::

        dict(type='LoadImageFromFile',
             backend_args=dict(backend='checked_image'))

    To skip unreadable files instead of stopping, set ``skip_unreadable``
    here and ``ignore_empty=True`` on the loader (which then returns None
    for the file, so that mmengine's dataset draws another sample); a
    warning names each skipped file and counts the skips of this loader
    process.

    Args:
        backend_args (dict, optional): The backend that fetches the files,
            as a loader's ``backend_args`` (e.g. ``dict(backend='petrel')``).
            Defaults to None: the path's prefix decides, a local file
            without one.
        skip_unreadable (bool): Warn before raising, for a loader with
            ``ignore_empty=True``. Defaults to False.
    """

    def __init__(self, backend_args: Optional[dict] = None,
                 skip_unreadable: bool = False) -> None:
        if not isinstance(skip_unreadable, bool):
            raise TypeError(f'skip_unreadable must be a bool, got '
                            f'{skip_unreadable!r}')
        if backend_args is not None and \
                backend_args.get('backend') == CHECKED_BACKEND:
            raise ValueError(f'{CHECKED_BACKEND!r} cannot fetch through '
                             f'itself: give the backend that reads the '
                             f'files, got backend_args={backend_args!r}')
        self.backend_args = backend_args
        self.skip_unreadable = skip_unreadable
        self.skipped = 0

    def get(self, filepath) -> bytes:
        data, problem = read_image_file(str(filepath), self.backend_args)
        if problem is None:
            return data
        if self.skip_unreadable:
            self.skipped += 1
            print_log(f'skipped {filepath}: {problem} ({self.skipped} '
                      f'unreadable image(s) skipped by this loader process)',
                      logger='current', level=30)
        raise UnreadableImageError(f'{filepath}: {problem}')

    def get_text(self, filepath, encoding: str = 'utf-8') -> str:
        return fileio.get_file_backend(
            str(filepath), backend_args=self.backend_args,
            enable_singleton=True).get_text(filepath, encoding)


def decode_problem(path: str,
                   backend_args: Optional[dict] = None) -> Optional[str]:
    """:func:`read_image_file`, then a full decode as mmcv's
    ``LoadImageFromFile`` does it (OpenCV, colour): what a pre-flight check
    of a dataset reports for one file, or None."""
    data, problem = read_image_file(path, backend_args)
    if problem is not None:
        return problem
    import mmcv
    try:
        image = mmcv.imfrombytes(data, flag='color', backend='cv2')
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
