# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory measurement of Conformer implementations.

The CLI is ``tools/analysis_tools/benchmark.py``; this module holds the
pieces it is made of, so that they can be tested and reused.
"""
import contextlib
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

#: arch name -> (head in_channels for the conv branch, embed_dims)
HEAD_CHANNELS = {'tiny': (256, 384), 'small': (1024, 384),
                 'base': (1536, 576)}


def build_pair(arch: str, patch_size: int, num_classes: int = 1000,
               ours_cfg: Optional[dict] = None) -> Dict[str, nn.Module]:
    """Our classifier and mmpretrain's built-in one, with the same weights.

    ``ours_cfg`` is the model config of ours (e.g. from a config file); by
    default it is built from ``arch`` and ``patch_size``.
    """
    from mmpretrain.registry import MODELS

    import mmconformer  # noqa: F401
    conv, embed = HEAD_CHANNELS[arch]
    ref_cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='Conformer', arch=arch, patch_size=patch_size),
        head=dict(type='ConformerHead', num_classes=num_classes,
                  in_channels=[conv, embed]))
    if ours_cfg is None:
        ours_cfg = dict(
            type='ImageClassifier',
            backbone=dict(type='ConformerBackbone', arch=arch,
                          patch_size=patch_size),
            head=dict(type='DualBranchClsHead', num_classes=num_classes,
                      in_channels=[conv, embed]))
    ours = MODELS.build(ours_cfg)
    ours.init_weights()
    ref = MODELS.build(ref_cfg)
    ref.load_state_dict(ours.state_dict(), strict=True)
    return {'mmconformer': ours, 'mmpretrain': ref}


def matmul_rate(dtype: torch.dtype, device: str, size: int = 2048,
                repeats: int = 5) -> float:
    """Measured matmul throughput of this machine in GFLOP/s (2*n^3 flops
    per n x n product): the best of ``repeats``, since it stands for the
    peak that the model's rate is compared with."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    times = []
    for _ in range(repeats + 1):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        times.append(time.perf_counter() - start)
    return 2 * size**3 / min(times[1:]) / 1e9


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def autocast(device: str, dtype: str):
    if dtype == 'fp32':
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.split(':')[0],
                          dtype=torch.bfloat16)


def make_step(model: nn.Module, mode: str, inputs: torch.Tensor,
              labels: torch.Tensor, device: str, dtype: str,
              optimizer: Optional[torch.optim.Optimizer] = None) -> Callable:
    """One inference pass, or one training step: forward, the loss of both
    heads, backward and an AdamW step."""
    if mode == 'infer':

        def step():
            with torch.no_grad(), autocast(device, dtype):
                model(inputs, mode='tensor')
    else:

        def step():
            with autocast(device, dtype):
                conv_logits, trans_logits = model(inputs, mode='tensor')
                loss = F.cross_entropy(conv_logits.float(), labels) + \
                    F.cross_entropy(trans_logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return step


def time_interleaved(steps: Dict[str, Callable], device: str, warmup: int,
                     repeats: int) -> Dict[str, List[float]]:
    """Run the steps round-robin (``a b a b ...``) after ``warmup`` rounds,
    so that slow drifts of the machine hit every implementation alike.
    Returns the seconds of each repeat per name."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    _sync(device)
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            step()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return times
