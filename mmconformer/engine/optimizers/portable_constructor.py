# Copyright (c) mmconformer contributors. All rights reserved.
"""An optimizer-wrapper constructor under which one config trains on a GPU
or a CPU, with or without ``--amp``, eager or with ``compile=True``."""
import copy
from typing import Optional

import torch
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS

from ...utils import accelerator

#: ``dtype`` values of ``AmpOptimWrapper`` that bf16 autocast honours.
_BF16 = (None, 'bfloat16', torch.bfloat16)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class PortableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor (``paramwise_cfg`` included) with two
    differences, so that our configs run wherever mmengine's Runner does.

    1. **``--amp`` without a GPU.** ``--amp`` in mmpretrain's
       ``tools/train.py`` (and so ``mim train mmpretrain CONFIG --amp``)
       sets ``optim_wrapper.type='AmpOptimWrapper'`` and
       ``loss_scale='dynamic'``, and mmengine's ``AmpOptimWrapper`` asserts
       a GPU. Here, on a machine without an accelerator, it becomes
       :class:`BF16AutocastOptimWrapper`: bf16 autocast, which needs no loss
       scaling (``loss_scale`` is dropped). On a GPU nothing changes: fp16
       with dynamic loss scaling, or bf16 with
       ``optim_wrapper.dtype='bfloat16'``.
    2. **``compile=True``.** With ``paramwise_cfg``, the default
       constructor hands the optimizer its param groups as ``ConfigDict``
       objects, on which ``torch.compile`` of the Runner's ``train_step``
       fails inside the optimizer step (torch 2.14: ``'UserDefinedDictVariable'
       object has no attribute 'items'``). Here they are plain dicts.

    Args:
        optim_wrapper_cfg (dict): The ``optim_wrapper`` config without
            ``constructor`` and ``paramwise_cfg``.
        paramwise_cfg (dict, optional): As for
            :class:`~mmengine.optim.DefaultOptimWrapperConstructor`.
            Defaults to None.

    Raises:
        ValueError: ``AmpOptimWrapper`` with a ``dtype`` other than bf16 on a
            machine without an accelerator (fp16 autocast on a CPU is not
            supported).
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        optim_wrapper_cfg = copy.deepcopy(optim_wrapper_cfg)
        if (optim_wrapper_cfg.get('type') == 'AmpOptimWrapper'
                and not accelerator.accelerator_available()):
            dtype = optim_wrapper_cfg.pop('dtype', None)
            if dtype not in _BF16:
                raise ValueError(
                    f'AmpOptimWrapper with dtype={dtype!r} needs a GPU; on a '
                    f'CPU mixed precision runs in bfloat16 (leave dtype '
                    f'unset or set it to "bfloat16")')
            optim_wrapper_cfg.pop('loss_scale', None)
            optim_wrapper_cfg['type'] = 'BF16AutocastOptimWrapper'
            MMLogger.get_current_instance().info(
                'AmpOptimWrapper needs a GPU; no accelerator found, so mixed '
                'precision runs as BF16AutocastOptimWrapper (bf16 autocast, '
                'no loss scaling)')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        # A plain dict: assigning the param-group list to a ConfigDict would
        # turn every group into a ConfigDict (see 2. above).
        self.optimizer_cfg = dict(self.optimizer_cfg)
