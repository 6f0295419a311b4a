# Copyright (c) mmconformer contributors. All rights reserved.
from .metrics import BranchAccuracy

__all__ = ['BranchAccuracy']
