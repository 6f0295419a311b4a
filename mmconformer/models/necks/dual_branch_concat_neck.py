# Copyright (c) mmconformer contributors. All rights reserved.
"""Join the two branches' maps of a dense Conformer into one map per level."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

__all__ = ['DualBranchConcatNeck']


@MODELS.register_module()
class DualBranchConcatNeck(nn.Module):
    """Concatenate each ``(conv_map, trans_map)`` pair along channels.

    ``ConformerBackbone(out_type='featmap', featmap_branches='both')`` gives,
    per requested block, the CNN map and the transformer's patch tokens
    folded to their grid. The two differ in resolution: the CNN maps sit at
    strides 4/8/16/32, the token grid at the patch size for every block. This
    neck resizes the token map to the CNN map's size and appends it, so that
    a head written for a list of maps (mmseg's ``UPerHead``, mmdet's ``FPN``)
    takes both branches: level ``i`` has ``conv_channels[i] + embed_dims``
    channels, CNN channels first. It has no parameters.

    Args:
        mode (str): Interpolation mode of
            :func:`torch.nn.functional.interpolate` for the token map:
            ``'bilinear'``, ``'bicubic'``, ``'nearest'``, ``'nearest-exact'``
            or ``'area'``. Defaults to ``'bilinear'``.
        align_corners (bool): Passed to ``interpolate`` for the bilinear and
            bicubic modes. Defaults to False.
    """
    modes = ('bilinear', 'bicubic', 'nearest', 'nearest-exact', 'area')

    def __init__(self, mode: str = 'bilinear',
                 align_corners: bool = False) -> None:
        super().__init__()
        if mode not in self.modes:
            raise ValueError(f'mode must be one of {self.modes}, got {mode!r}')
        if not isinstance(align_corners, bool):
            raise TypeError(f'align_corners must be a bool, got '
                            f'{type(align_corners).__name__}: '
                            f'{align_corners!r}')
        self.mode = mode
        self.align_corners = align_corners

    def forward(
        self, inputs: Sequence[Tuple[torch.Tensor, torch.Tensor]]
    ) -> Tuple[torch.Tensor, ...]:
        outs = []
        for index, pair in enumerate(inputs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(
                    f'DualBranchConcatNeck takes (conv_map, trans_map) pairs, '
                    f"as ConformerBackbone gives with featmap_branches='both'"
                    f'; item {index} is a {type(pair).__name__}')
            conv_map, trans_map = pair
            if trans_map.shape[-2:] != conv_map.shape[-2:]:
                kwargs = {}
                if self.mode in ('bilinear', 'bicubic'):
                    kwargs['align_corners'] = self.align_corners
                trans_map = F.interpolate(
                    trans_map, size=conv_map.shape[-2:], mode=self.mode,
                    **kwargs)
            outs.append(torch.cat([conv_map, trans_map], dim=1))
        return tuple(outs)
