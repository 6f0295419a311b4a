# Copyright (c) mmconformer contributors. All rights reserved.
"""The one place that decides whether this machine has an accelerator.

Everything in mmconformer that behaves differently with and without a GPU
(distributed start-up, ``--amp``, the benchmark's default device) asks
:func:`accelerator_available`. Callers look it up through this module
(``accelerator.accelerator_available()``), so that a test can force either
path by patching this one function.
"""
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)

__all__ = ['accelerator_available']


def accelerator_available() -> bool:
    """Whether a device that mmengine's distributed launcher and
    ``AmpOptimWrapper`` support is present: CUDA, NPU, MLU or MUSA.

    ``CUDA_VISIBLE_DEVICES=''`` hides CUDA from torch and so from this check:
    that is how a subprocess is made to take the CPU path on a GPU machine.
    """
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())
