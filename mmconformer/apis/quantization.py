# Copyright (c) mmconformer contributors. All rights reserved.
"""Static post-training int8 quantization of the backbone, for x86 CPUs.

PyTorch's PT2E flow, which torch 2.14 keeps in torchao (``pip install
".[deploy]"``): the backbone is exported with ``torch.export``, annotated
by the x86 Inductor quantizer (int8 activations, int8 weights quantized per
output channel), calibrated on real images, converted, and then compiled by
Inductor with freezing, which lowers the quantize/dequantize pairs around
each convolution and linear layer to oneDNN's int8 kernels (VNNI, AMX-INT8).
"""
from typing import Iterable, List

import torch
import torch.nn as nn

from ..utils import torchao_available
from .delegating_module import DelegatingModule

__all__ = ['QuantizedModule', 'quantize_int8']


class QuantizedModule(DelegatingModule):
    """The quantized graph of a module, answering attribute lookups that
    the graph does not know with the original module (``with_cls_token``,
    ``patch_size``, ``out_type``...), so that code inspecting
    ``model.backbone`` keeps working. The original is not a submodule: its
    weights are not kept twice in the state dict.

    Args:
        quantized (nn.Module): The converted graph.
        original (nn.Module): The module it was made from.
    """

    delegate = '_original'

    def __init__(self, quantized: nn.Module, original: nn.Module) -> None:
        super().__init__()
        self.quantized = quantized
        object.__setattr__(self, '_original', original)

    def forward(self, *args, **kwargs):
        return self.quantized(*args, **kwargs)


def quantize_int8(module: nn.Module,
                  calibration: Iterable[torch.Tensor]) -> QuantizedModule:
    """Quantize ``module`` (in eval mode, on the CPU) to int8 with PT2E and
    the x86 Inductor quantizer, calibrated on ``calibration``.

    The convolutions and linear layers run in int8: uint8 activations per
    tensor, int8 weights per output channel (the x86 Inductor quantizer's
    default recipe). The attention matmuls, norms, softmax and GELU stay in
    floating point; ``tools/analysis_tools/profile_int8.py`` counts them.

    Args:
        module (nn.Module): E.g. a ``ConformerBackbone``: one tensor in.
        calibration (Iterable[Tensor]): Input batches, as the module takes
            them (after the data preprocessor); the first also fixes the
            exported input's layout. At least one batch.

    Returns:
        QuantizedModule: The converted graph (not compiled yet; compile it
        with Inductor's ``freezing`` to run int8 kernels).

    Raises:
        ImportError: torchao is not installed.
        ValueError: no calibration batch.
    """
    if not torchao_available():
        raise ImportError('int8 needs torchao, which holds PyTorch\'s PT2E '
                          'quantization: pip install "mmconformer[deploy]"')
    from torchao.quantization.pt2e import allow_exported_model_train_eval
    from torchao.quantization.pt2e.quantize_pt2e import (convert_pt2e,
                                                         prepare_pt2e)
    from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
        X86InductorQuantizer, get_default_x86_inductor_quantization_config)
    batches: List[torch.Tensor] = [b for b in calibration]
    if not batches:
        raise ValueError('int8 calibration needs at least one batch of '
                         'images')
    module = module.eval()
    # the example fixes the layout; torch.export specialises a batch of 1
    example = torch.cat(batches)[:8]
    if len(example) == 1:
        example = example.expand(2, *example.shape[1:]).contiguous(
            memory_format=torch.channels_last)
    # A dynamic batch dimension: the last batch of a dataset is smaller.
    batch = torch.export.Dim('batch', min=1, max=1024)
    with torch.no_grad():
        exported = torch.export.export(
            module, (example, ), dynamic_shapes=({0: batch}, )).module()
    quantizer = X86InductorQuantizer()
    quantizer.set_global(get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for inputs in batches:
            prepared(inputs)
    converted = convert_pt2e(prepared)
    # model.eval() (predict, Inferencers) must keep working on the graph
    allow_exported_model_train_eval(converted)
    return QuantizedModule(converted, module)
