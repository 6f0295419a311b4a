# Copyright (c) mmconformer contributors. All rights reserved.
"""Fold eval-mode BatchNorms into the convolutions before them: an explicit
transform for inference paths."""
import copy

import torch.nn as nn

__all__ = ['fuse_conv_bn']


def fuse_conv_bn(model: nn.Module, inplace: bool = False) -> nn.Module:
    """Fold every conv + BatchNorm pair into one conv, with mmcv's
    ``fuse_conv_bn``, on a copy in eval mode.

    mmconformer's layers run ``bn(conv(x))`` as two modules, so that forward
    hooks on every conv and BatchNorm fire (Grad-CAM, feature recorders,
    activation statistics). For inference, where no hook needs the
    BatchNorms, mmcv's transform replaces each conv of a pair by one conv
    with the folded weights and bias, and the BatchNorm by ``nn.Identity``:
    the same function (equal in float64), with one pass over each feature
    map instead of two. mmcv pairs a BatchNorm with the conv registered just
    before it in the same module, which is how every layer here is built.

    This wrapper adds what mmcv's leaves to the caller: it works on a copy
    unless ``inplace``, and it switches the model to eval mode first (the
    folded weights use the running statistics; training the result would
    train without BatchNorm).

    Args:
        model (nn.Module): A model holding mmconformer layers (a classifier,
            a backbone, or a detector with a ConformerBackbone).
        inplace (bool): Change ``model`` itself instead of a copy.
            Defaults to False.

    Returns:
        nn.Module: The fused model, in eval mode.
    """
    from mmcv.cnn import fuse_conv_bn as mmcv_fuse_conv_bn
    model = model if inplace else copy.deepcopy(model)
    return mmcv_fuse_conv_bn(model.eval())
