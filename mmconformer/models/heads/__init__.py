# Copyright (c) mmconformer contributors. All rights reserved.
from .dual_branch_cls_head import DualBranchClsHead

__all__ = ['DualBranchClsHead']
