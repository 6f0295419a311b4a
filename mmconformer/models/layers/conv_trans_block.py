# Copyright (c) mmconformer contributors. All rights reserved.
"""One Conformer block: a CNN bottleneck and a transformer layer coupled by
two Feature Coupling Units."""
from typing import Tuple

import torch
import torch.nn as nn

from .bottleneck import ConvBottleneck
from .coupling_units import FCUDown, FCUUp
from .transformer_layer import TransformerLayer


class ConvTransBlock(nn.Module):
    """CNN bottleneck -> FCUDown -> transformer layer -> FCUUp -> fusion
    bottleneck.

    Args:
        in_channels (int): Input channels of the CNN branch.
        out_channels (int): Output channels of the CNN branch.
        embed_dims (int): Token width of the transformer branch.
        num_heads (int): Attention heads.
        fcu_stride (int): CNN grid over token grid inside this block; the
            FCUDown pooling and the FCUUp upsampling factor.
        conv_stride (int): Stride of the first bottleneck. Defaults to 1.
        with_residual_conv (bool): Residual conv in the first bottleneck
            (needed when it changes width or stride). Defaults to False.
        last_fusion (bool): The fusion bottleneck strides by 2 (the last
            block of the network). Defaults to False.
        mlp_ratio (float): FFN hidden width ratio. Defaults to 4.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        with_cls_token (bool): The token sequence starts with a class token.
            Defaults to True.
        drop_path_rate (float): Stochastic depth of the fusion bottleneck and
            the transformer layer. Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 embed_dims: int,
                 num_heads: int,
                 fcu_stride: int,
                 conv_stride: int = 1,
                 with_residual_conv: bool = False,
                 last_fusion: bool = False,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 with_cls_token: bool = True,
                 drop_path_rate: float = 0.) -> None:
        super().__init__()
        mid_channels = out_channels // ConvBottleneck.expansion
        self.fcu_stride = fcu_stride
        self.cnn_block = ConvBottleneck(
            in_channels,
            out_channels,
            stride=conv_stride,
            with_residual_conv=with_residual_conv)
        self.fusion_block = ConvBottleneck(
            out_channels,
            out_channels,
            stride=2 if last_fusion else 1,
            with_residual_conv=last_fusion,
            drop_path_rate=drop_path_rate)
        self.squeeze_block = FCUDown(mid_channels, embed_dims, fcu_stride,
                                     with_cls_token)
        self.expand_block = FCUUp(embed_dims, mid_channels, fcu_stride,
                                  with_cls_token)
        self.trans_block = TransformerLayer(
            embed_dims,
            num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            drop_path_rate=drop_path_rate)

    def forward(self, x: torch.Tensor,
                x_t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x, x_mid = self.cnn_block(x, return_mid=True)
        grid_h = x_mid.shape[2] // self.fcu_stride
        grid_w = x_mid.shape[3] // self.fcu_stride
        x_t = self.trans_block(self.squeeze_block(x_mid, x_t) + x_t)
        x = self.fusion_block(
            x, fusion_features=self.expand_block(x_t, grid_h, grid_w))
        return x, x_t
