# Copyright (c) mmconformer contributors. All rights reserved.
"""The machine's GEMM peak, probed with a model's own GEMMs: the rate a
benchmark row's achieved GFLOP/s is a fraction of."""
import copy
import math
import time
from typing import Callable, Dict, List

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models.layers.transformer_layer import MultiheadSelfAttention


def timed_call(func: Callable[[], object], device: str) -> float:
    """Seconds of one call of ``func``, CUDA synchronised on both sides when
    ``device`` is a CUDA device."""
    sync = torch.cuda.synchronize if device.startswith('cuda') else \
        (lambda: None)
    sync()
    start = time.perf_counter()
    func()
    sync()
    return time.perf_counter() - start


def gemm_ops(model: nn.Module, inputs: torch.Tensor) -> List[tuple]:
    """The distinct GEMM-like ops one forward pass of ``model`` runs, as
    ``(kind, operand shapes, conv arguments)``: ``('mm', ((M, K), (K, N)),
    ())`` (linear layers), ``('bmm', ((B, M, K), (B, K, N)), ())``
    (attention) and ``('conv', (input shape, weight shape), (stride,
    padding, groups))``. A copy of the model runs."""
    ops = set()

    def hook(module, args):
        x = args[0]
        if isinstance(module, nn.Linear):
            m, k = x.numel() // x.shape[-1], module.in_features
            ops.add(('mm', ((m, k), (k, module.out_features)), ()))
        elif isinstance(module, nn.Conv2d):
            ops.add(('conv', (tuple(x.shape), tuple(module.weight.shape)),
                     (module.stride, module.padding, module.groups)))
        else:  # attention: q @ k^T, then the weights @ v, per head
            bh, n, d = x.shape[0] * module.num_heads, x.shape[1], \
                module.head_dims
            ops.add(('bmm', ((bh, n, d), (bh, d, n)), ()))
            ops.add(('bmm', ((bh, n, n), (bh, n, d)), ()))

    probe = copy.deepcopy(model).train()  # train: every conv runs as a module
    for m in probe.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, MultiheadSelfAttention)):
            m.register_forward_pre_hook(hook)
    with torch.no_grad():
        probe(inputs, mode='tensor')
    return sorted(ops, key=str)


def gemm_peak(model: nn.Module, inputs: torch.Tensor, dtype: str,
              device: str, repeats: int = 5) -> Dict[str, object]:
    """The best rate (GFLOP/s, or GOP/s for int8) of the model's own GEMMs
    (:func:`gemm_ops`; for ``'int8'`` its linear layers, as
    ``torch._int_mm``), each timed alone on random operands in ``dtype``,
    best of ``repeats`` calls. The model cannot run faster than its
    fastest op, so the fraction of this peak a model reaches stays at or
    below 1, where a fixed probe (one square matmul) can under-measure.

    Returns:
        dict: ``gflops_per_s`` and the ``op`` that reached it.
    """
    torch_dtype = dict(bf16=torch.bfloat16,
                       fp16=torch.float16).get(dtype, torch.float32)
    layout = torch.channels_last if getattr(
        getattr(model, 'backbone', model), 'channels_last',
        False) else torch.contiguous_format
    run = dict(mm=torch._int_mm if dtype == 'int8' else torch.mm,
               bmm=torch.bmm, conv=lambda x, w, args: F.conv2d(
                   x, w, None, args[0], args[1], 1, args[2]))
    best = (0.0, None)
    for op in gemm_ops(model, inputs):
        kind, shapes, args = op
        if dtype == 'int8' and kind != 'mm':
            continue
        operands = [torch.randint(-128, 128, s, dtype=torch.int8,
                                  device=device) if dtype == 'int8' else
                    torch.randn(s, dtype=torch_dtype, device=device)
                    for s in shapes]
        if kind == 'conv':
            operands = [t.contiguous(memory_format=layout)
                        for t in operands] + [args]
        with torch.no_grad():
            out = run[kind](*operands)  # warm-up
            # multiply and add counted apart, over each output's reduction
            flops = 2.0 * out.numel() * (math.prod(shapes[1][1:])
                                         if kind == 'conv' else shapes[0][-1])
            seconds = min(timed_call(lambda: run[kind](*operands), device)
                          for _ in range(repeats))
        best = max(best, (flops / seconds / 1e9, op), key=lambda b: b[0])
    return dict(gflops_per_s=best[0], op=str(best[1]))
