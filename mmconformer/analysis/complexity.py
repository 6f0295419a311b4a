# Copyright (c) mmconformer contributors. All rights reserved.
"""Params and FLOPs, counted the way mmpretrain's get_flops.py counts them,
plus the attention matmuls that count leaves out."""
from typing import Callable, Dict, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import get_model_complexity_info

from ..models.layers.coupling_units import FCUDown
from ..models.layers.transformer_layer import MultiheadSelfAttention
from ..utils.quiet import current_logger_level


def _sum_over_forward(
        backbone: nn.Module, input_shape: Tuple[int, int, int],
        counters: Dict[type, Callable[[nn.Module, torch.Tensor], int]]
) -> Dict[type, int]:
    """Run one image through ``backbone`` and, for each ``module_type ->
    count`` of ``counters``, add up ``count(module, x)`` over every call of
    a ``module_type`` submodule (``x``: its first input)."""
    totals = {module_type: 0 for module_type in counters}

    def hook(module, args):
        for module_type, count in counters.items():
            if isinstance(module, module_type):
                totals[module_type] += count(module, args[0])

    handles = [
        m.register_forward_pre_hook(hook) for m in backbone.modules()
        if isinstance(m, tuple(counters))
    ]
    try:
        param = next(backbone.parameters())
        with torch.no_grad():
            backbone(torch.zeros((1, ) + tuple(input_shape),
                                 dtype=param.dtype, device=param.device))
    finally:
        for handle in handles:
            handle.remove()
    return totals


def _attention_count(module: nn.Module, x: torch.Tensor) -> int:
    _, num_tokens, channels = x.shape
    return 2 * num_tokens * num_tokens * channels


def _fcu_down_reorder_count(module: nn.Module, x: torch.Tensor) -> int:
    _, in_channels, height, width = x.shape
    stride = module.down_stride
    pooled = (height // stride) * (width // stride)
    out_channels = module.conv_project.out_channels
    return in_channels * out_channels * (height * width - pooled)


def fcu_down_reorder_flops(backbone: nn.Module,
                           input_shape: Tuple[int, int, int]) -> int:
    """Multiply-accumulates that :class:`FCUDown` saves for one image by
    pooling before its 1x1 conv instead of after it.

    The official code (and the published FLOPs) run the conv on the full
    CNN map; ours runs it on the pooled token grid. Adding this to
    mmengine's count of our model gives mmengine's count of the official
    op order.
    """
    return _sum_over_forward(backbone, input_shape, {
        FCUDown: _fcu_down_reorder_count
    })[FCUDown]


def get_complexity(model: nn.Module,
                   input_shape: Tuple[int, int, int]) -> Dict[str, object]:
    """Count a classifier as mmpretrain's ``tools/analysis_tools/get_flops.py``
    does: params of the whole model, FLOPs of ``extract_feat`` (the
    backbone), plus the attention matmuls.

    Returns:
        dict: ``params``; ``flops``, mmengine's count in the published
        convention (FCUDown's conv counted at CNN resolution, as the official
        op order runs it); ``attention_flops``; ``total_flops``
        (``flops + attention_flops``); ``executed_flops``, mmengine's count
        of what this implementation runs (FCUDown pools first); and
        mmengine's ``out_table`` (of the executed model).
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
    # mmengine's counter warns about every op kind it does not count
    # (attention is counted below) and every module not traced.
    with current_logger_level():
        info = get_model_complexity_info(target, input_shape,
                                         show_arch=False)
    extra = _sum_over_forward(
        backbone, input_shape, {
            MultiheadSelfAttention: _attention_count,
            FCUDown: _fcu_down_reorder_count
        })
    attention = extra[MultiheadSelfAttention]
    published = info['flops'] + extra[FCUDown]
    return dict(
        params=info['params'],
        flops=published,
        attention_flops=attention,
        total_flops=published + attention,
        executed_flops=info['flops'],
        out_table=info['out_table'])
