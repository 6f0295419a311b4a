# Copyright (c) mmconformer contributors. All rights reserved.
"""Bottom layer: imports nothing else of mmconformer."""
from . import accelerator
from .accelerator import accelerator_available
from .atomic import atomic_write
from .quiet import silence_known_warnings

__all__ = [
    'accelerator', 'accelerator_available', 'atomic_write',
    'silence_known_warnings'
]
