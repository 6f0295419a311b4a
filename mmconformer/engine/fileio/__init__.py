# Copyright (c) mmconformer contributors. All rights reserved.
from .atomic_local_backend import AtomicLocalBackend

__all__ = ['AtomicLocalBackend']
