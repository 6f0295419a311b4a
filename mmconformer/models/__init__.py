# Copyright (c) mmconformer contributors. All rights reserved.
from .backbones import ConformerBackbone
from .heads import DualBranchClsHead
from .layers import fuse_conv_bn

__all__ = ['ConformerBackbone', 'DualBranchClsHead', 'fuse_conv_bn']
