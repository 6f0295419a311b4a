# Copyright (c) mmconformer contributors. All rights reserved.
from .branch_score_tta import BranchAverageClsScoreTTA

__all__ = ['BranchAverageClsScoreTTA']
