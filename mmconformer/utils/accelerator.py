# Copyright (c) mmconformer contributors. All rights reserved.
"""The one place that decides whether this machine has an accelerator.

Everything in mmconformer that behaves differently with and without a GPU
(distributed start-up, ``--amp``, a tool's default device, the GPU check)
asks :func:`accelerator_kind` or :func:`accelerator_available`. Callers look
them up through this module (``accelerator.accelerator_available()``), so
that a test can force either path by patching :func:`accelerator_kind`.
"""
from typing import Optional

from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)

__all__ = ['accelerator_available', 'accelerator_kind']


def accelerator_kind() -> Optional[str]:
    """The accelerator that mmengine's distributed launcher and
    ``AmpOptimWrapper`` support and this machine has: ``'cuda'``, ``'npu'``,
    ``'mlu'`` or ``'musa'``; None for none.

    ``CUDA_VISIBLE_DEVICES=''`` hides CUDA from torch and so from this check:
    that is how a subprocess is made to take the CPU path on a GPU machine.
    """
    for kind, present in (('cuda', is_cuda_available),
                          ('npu', is_npu_available),
                          ('mlu', is_mlu_available),
                          ('musa', is_musa_available)):
        if present():
            return kind
    return None


def accelerator_available() -> bool:
    """Whether :func:`accelerator_kind` finds one."""
    return accelerator_kind() is not None
