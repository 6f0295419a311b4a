# Copyright (c) mmconformer contributors. All rights reserved.
from .backbones import ConformerBackbone
from .heads import DualBranchClsHead

__all__ = ['ConformerBackbone', 'DualBranchClsHead']
