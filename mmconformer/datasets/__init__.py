# Copyright (c) mmconformer contributors. All rights reserved.
"""Data: the demos' generated shapes (``shapes``: numpy and Pillow only) and
the check that refuses an image file that cannot be read completely
(``image_check``)."""
from .image_check import (CheckImageFile, UnreadableImageError,
                          bytes_problem, decode_problem,
                          find_unreadable_images, image_file_problem)
from .shapes import (CLASSES, NEW_CLASSES, RADIUS, draw_shape,
                     ensure_dataset, make_dataset)

__all__ = [
    'CLASSES', 'CheckImageFile', 'NEW_CLASSES', 'RADIUS',
    'UnreadableImageError', 'bytes_problem', 'decode_problem', 'draw_shape',
    'ensure_dataset', 'find_unreadable_images', 'image_file_problem',
    'make_dataset'
]
