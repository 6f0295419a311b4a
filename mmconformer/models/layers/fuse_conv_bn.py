# Copyright (c) mmconformer contributors. All rights reserved.
"""Fold eval-mode BatchNorms into the convolutions before them: an explicit
transform for inference paths."""
import copy
from typing import List, Tuple

import torch
import torch.nn as nn

__all__ = ['fuse_conv_bn', 'fused_conv']


def fused_conv(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """One convolution equal to ``bn(conv(x))`` with ``bn`` in eval mode.

    An eval-mode BatchNorm is an affine map per channel, ``s * (y - mean) +
    beta`` with ``s = weight / sqrt(running_var + eps)``, so it folds into
    the conv: weights ``w * s`` and bias ``(b - mean) * s + beta``. The new
    conv has a bias, the same dtype, device and memory layout.
    """
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                      conv.stride, conv.padding, conv.dilation, conv.groups,
                      bias=True, padding_mode=conv.padding_mode,
                      device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
        bias = conv.bias if conv.bias is not None else torch.zeros_like(
            bn.running_mean)
        fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    if conv.weight.is_contiguous(memory_format=torch.channels_last):
        fused.to(memory_format=torch.channels_last)
    return fused


def fuse_conv_bn(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Fold every conv + BatchNorm pair of mmconformer's layers into one conv.

    The layers run ``bn(conv(x))`` as two modules, so that forward hooks on
    every conv and BatchNorm fire (Grad-CAM, feature recorders, activation
    statistics). For inference, where no hook needs the BatchNorms, this
    transform replaces each conv of a pair by :func:`fused_conv` and its
    BatchNorm by ``nn.Identity``: the same function with one pass over each
    feature map instead of two (the stem, every bottleneck and every FCUUp;
    each layer lists its pairs in ``conv_bn_pairs()``). The result is in
    eval mode and meant for inference only: training it would train without
    BatchNorm.

    Args:
        model (nn.Module): A model holding mmconformer layers (a classifier,
            a backbone, or a detector with a ConformerBackbone).
        inplace (bool): Change ``model`` itself instead of a copy.
            Defaults to False.

    Returns:
        nn.Module: The fused model, in eval mode.
    """
    model = model if inplace else copy.deepcopy(model)
    model.eval()
    for module in list(model.modules()):
        pairs: List[Tuple[str, str]] = getattr(module, 'conv_bn_pairs',
                                               lambda: [])()
        for conv_name, bn_name in pairs:
            bn = getattr(module, bn_name)
            if not isinstance(bn, nn.modules.batchnorm._BatchNorm):
                continue  # fused already
            setattr(module, conv_name,
                    fused_conv(getattr(module, conv_name), bn))
            setattr(module, bn_name, nn.Identity())
    return model
