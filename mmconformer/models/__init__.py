# Copyright (c) mmconformer contributors. All rights reserved.
from .backbones import ConformerBackbone
from .heads import DualBranchClsHead
from .layers import fuse_conv_bn
from .necks import DualBranchConcatNeck
from .tta import BranchAverageClsScoreTTA

__all__ = [
    'BranchAverageClsScoreTTA', 'ConformerBackbone', 'DualBranchClsHead',
    'DualBranchConcatNeck', 'fuse_conv_bn'
]
