# Copyright (c) mmconformer contributors. All rights reserved.
from .branch_accuracy import BranchAccuracy

__all__ = ['BranchAccuracy']
