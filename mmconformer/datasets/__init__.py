# Copyright (c) mmconformer contributors. All rights reserved.
"""The demos' synthetic data. Depends on numpy and Pillow only."""
from .shapes import (CLASSES, NEW_CLASSES, RADIUS, draw_shape,
                     ensure_dataset, make_dataset)

__all__ = [
    'CLASSES', 'NEW_CLASSES', 'RADIUS', 'draw_shape', 'ensure_dataset',
    'make_dataset'
]
