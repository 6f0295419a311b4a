# Copyright (c) mmconformer contributors. All rights reserved.
from .bottleneck import ConvBottleneck
from .conv_trans_block import ConvTransBlock
from .coupling_units import FCUDown, FCUUp
from .fuse_conv_bn import fuse_conv_bn
from .transformer_layer import TransformerLayer

__all__ = [
    'ConvBottleneck', 'ConvTransBlock', 'FCUDown', 'FCUUp', 'TransformerLayer',
    'fuse_conv_bn'
]
