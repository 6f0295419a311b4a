# Copyright (c) mmconformer contributors. All rights reserved.
"""bf16 autocast training for devices that mmengine's AmpOptimWrapper
refuses (it asserts CUDA/NPU/MLU/MUSA), such as CPUs."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` that runs the forward pass under
    ``torch.autocast(dtype=torch.bfloat16)`` on the model's device.

    bf16 has the exponent range of fp32, so no loss scaling is needed; the
    parameters and the optimizer state stay fp32. ``tools/train.py --amp``
    selects it on machines without CUDA; on GPUs it keeps mmengine's
    ``AmpOptimWrapper``.
    """

    @contextmanager
    def optim_context(self, model: nn.Module):
        param = next(model.parameters(), None)
        device = param.device.type if param is not None else 'cpu'
        with super().optim_context(model), torch.autocast(
                device_type=device, dtype=torch.bfloat16):
            yield
