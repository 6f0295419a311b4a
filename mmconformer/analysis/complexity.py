# Copyright (c) mmconformer contributors. All rights reserved.
"""Params and FLOPs, counted the way mmpretrain's get_flops.py counts them,
plus the attention matmuls that count leaves out."""
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info

from ..models.layers.transformer_layer import MultiheadSelfAttention


def attention_matmul_flops(backbone: nn.Module,
                           input_shape: Tuple[int, int, int]) -> int:
    """Multiply-accumulates of ``q @ k^T`` and ``attn @ v`` for one image.

    mmengine's counter (like fvcore's) skips
    ``scaled_dot_product_attention``, so published Conformer FLOPs leave out
    ``2 * N**2 * C`` per attention layer, with ``N`` tokens of width ``C``.
    This runs one forward pass and adds that up from the real token counts.
    """
    total = 0

    def hook(module, args):
        nonlocal total
        _, num_tokens, channels = args[0].shape
        total += 2 * num_tokens * num_tokens * channels

    handles = [
        m.register_forward_pre_hook(hook) for m in backbone.modules()
        if isinstance(m, MultiheadSelfAttention)
    ]
    try:
        param = next(backbone.parameters())
        with torch.no_grad():
            backbone(torch.zeros((1, ) + tuple(input_shape),
                                 dtype=param.dtype, device=param.device))
    finally:
        for handle in handles:
            handle.remove()
    return total


def get_complexity(model: nn.Module,
                   input_shape: Tuple[int, int, int]) -> Dict[str, object]:
    """Count a classifier as mmpretrain's ``tools/analysis_tools/get_flops.py``
    does: params of the whole model, FLOPs of ``extract_feat`` (the
    backbone), plus the attention matmuls.

    Returns:
        dict: ``params``, ``flops`` (mmengine's count), ``attention_flops``,
        ``total_flops`` (their sum) and mmengine's ``out_table``.
    """
    model.eval()
    backbone = model.backbone if hasattr(model, 'backbone') else model

    class _FeatureExtractor(nn.Module):

        def __init__(self, classifier: nn.Module) -> None:
            super().__init__()
            self.classifier = classifier

        def forward(self, x):
            return self.classifier.extract_feat(x)

    target = _FeatureExtractor(model) if hasattr(model,
                                                 'extract_feat') else model
    info = get_model_complexity_info(target, input_shape, show_arch=False)
    attention = attention_matmul_flops(backbone, input_shape)
    return dict(
        params=info['params'],
        flops=info['flops'],
        attention_flops=attention,
        total_flops=info['flops'] + attention,
        out_table=info['out_table'])
