# Copyright (c) mmconformer contributors. All rights reserved.
"""Feature Coupling Units: the bridges between the CNN and transformer
branches."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .utils import BN_EPS, LN_EPS, tokens_to_map


class FCUDown(nn.Module):
    """CNN feature map -> transformer tokens.

    1x1 conv to ``embed_dims``, average pooling by ``down_stride``, LayerNorm
    and GELU; the class token of ``x_t`` is prepended when there is one.

    The pooling runs *before* the 1x1 conv. Both are linear and act on each
    position alike, so ``conv(pool(x)) == pool(conv(x))`` (bias included),
    and the weights and outputs are those of the official order (the
    fidelity tests compare them with mmpretrain's in float64). The conv then
    runs on the token grid, ``down_stride**2`` times fewer positions, and
    the full-resolution ``embed_dims``-wide map is never written
    (``get_flops.py`` prints what it saves). Published FLOPs
    count the conv at the CNN resolution;
    :func:`mmconformer.analysis.get_complexity` reports both counts.

    Args:
        in_channels (int): Channels of the CNN feature map.
        embed_dims (int): Token width of the transformer branch.
        down_stride (int): Pooling window and stride, CNN grid -> token grid.
        with_cls_token (bool): Whether the token sequence starts with a class
            token. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 down_stride: int,
                 with_cls_token: bool = True) -> None:
        super().__init__()
        self.down_stride = down_stride
        self.with_cls_token = with_cls_token
        self.conv_project = nn.Conv2d(in_channels, embed_dims, 1)
        self.sample_pooling = nn.AvgPool2d(down_stride, down_stride)
        self.ln = nn.LayerNorm(embed_dims, eps=LN_EPS)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor, x_t: torch.Tensor) -> torch.Tensor:
        x = self.conv_project(self.sample_pooling(x))
        x = self.act(self.ln(x.flatten(2).transpose(1, 2)))
        if self.with_cls_token:
            x = torch.cat([x_t[:, :1], x], dim=1)
        return x


class FCUUp(nn.Module):
    """Transformer tokens -> CNN feature map.

    Drops the class token, folds the patch tokens back to their ``(H, W)``
    grid, applies 1x1 conv + BN + ReLU and upsamples (nearest) by
    ``up_stride``.

    Args:
        embed_dims (int): Token width of the transformer branch.
        out_channels (int): Channels of the CNN feature map it feeds.
        up_stride (int): Nearest-neighbour upsampling factor.
        with_cls_token (bool): Whether the token sequence starts with a class
            token. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 out_channels: int,
                 up_stride: int,
                 with_cls_token: bool = True) -> None:
        super().__init__()
        self.up_stride = up_stride
        self.with_cls_token = with_cls_token
        self.conv_project = nn.Conv2d(embed_dims, out_channels, 1)
        self.bn = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x_t: torch.Tensor, grid_h: int,
                grid_w: int) -> torch.Tensor:
        if self.with_cls_token:
            x_t = x_t[:, 1:]
        x = tokens_to_map(x_t, (grid_h, grid_w))
        x = self.act(self.bn(self.conv_project(x)))
        if self.up_stride == 1:
            return x
        return F.interpolate(
            x, size=(grid_h * self.up_stride, grid_w * self.up_stride))
