# Copyright (c) mmconformer contributors. All rights reserved.
"""The CNN-branch bottleneck of Conformer."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn.bricks.drop import DropPath

from .utils import BN_EPS


class ConvBottleneck(nn.Module):
    """ResNet-style bottleneck (1x1 -> 3x3 -> 1x1, expansion 4) of Conformer.

    Two Conformer-specific extras: the 3x3 conv can take an extra feature map
    (the FCUUp output) added to its input, and ``forward`` can also return the
    activation after the 3x3 conv, which feeds the FCUDown coupling unit.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels; the middle width is a quarter.
        stride (int): Stride of the 3x3 conv (and of the residual conv).
            Defaults to 1.
        with_residual_conv (bool): Add a 1x1 conv + BN on the identity path.
            Defaults to False.
        drop_path_rate (float): Stochastic-depth rate of the residual branch.
            Defaults to 0.
    """
    expansion = 4

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 with_residual_conv: bool = False,
                 drop_path_rate: float = 0.) -> None:
        super().__init__()
        mid_channels = out_channels // self.expansion
        self.conv1 = nn.Conv2d(in_channels, mid_channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels, eps=BN_EPS)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(
            mid_channels, mid_channels, 3, stride=stride, padding=1,
            bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels, eps=BN_EPS)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(mid_channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        self.act3 = nn.ReLU(inplace=True)
        self.with_residual_conv = with_residual_conv
        if with_residual_conv:
            self.residual_conv = nn.Conv2d(
                in_channels, out_channels, 1, stride=stride, bias=False)
            self.residual_bn = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        self.drop_path = (
            DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity())

    def zero_init_last_bn(self) -> None:
        """Zero the last BN's scale so that the block starts as identity."""
        nn.init.zeros_(self.bn3.weight)

    def forward(
        self,
        x: torch.Tensor,
        fusion_features: Optional[torch.Tensor] = None,
        return_mid: bool = False,
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        identity = x
        out = self.act1(self.bn1(self.conv1(x)))
        if fusion_features is not None:
            out = out + fusion_features
        mid = self.act2(self.bn2(self.conv2(out)))
        out = self.drop_path(self.bn3(self.conv3(mid)))
        if self.with_residual_conv:
            identity = self.residual_bn(self.residual_conv(identity))
        # The residual add and the ReLUs are in place, as in mmpretrain's and
        # the official code (and torchvision's and timm's ResNets): a new
        # block-sized tensor per bottleneck would cost eager CPU inference
        # its allocation and page faults on every call. bn3's output (or
        # drop_path's) becomes the sum: a hook that keeps it should clone it.
        # `fusion_features` cannot be added in place: act1's output is saved
        # for its backward.
        out += identity
        out = self.act3(out)
        return (out, mid) if return_mid else out
