# Copyright (c) mmconformer contributors. All rights reserved.
"""Data: the demos' generated shapes (``shapes``: numpy and Pillow only) and
the file backend that refuses an image file that cannot be read
completely (``image_check``)."""
from .image_check import (CHECKED_BACKEND, CheckedImageBackend,
                          UnreadableImageError, bytes_problem,
                          decode_problem, find_unreadable_images,
                          read_image_file)
from .shapes import (CLASSES, NEW_CLASSES, RADIUS, draw_shape,
                     ensure_dataset, make_dataset)

__all__ = [
    'CHECKED_BACKEND', 'CLASSES', 'CheckedImageBackend', 'NEW_CLASSES',
    'RADIUS', 'UnreadableImageError', 'bytes_problem', 'decode_problem',
    'draw_shape', 'ensure_dataset', 'find_unreadable_images', 'make_dataset',
    'read_image_file'
]
