# Copyright (c) mmconformer contributors. All rights reserved.
from .dual_branch_concat_neck import DualBranchConcatNeck

__all__ = ['DualBranchConcatNeck']
