# Copyright (c) mmconformer contributors. All rights reserved.
"""The machine's peak for a model: the best rate of the model's own GEMMs."""
import copy
import time
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...models.layers.transformer_layer import MultiheadSelfAttention

__all__ = ['gemm_ops', 'gemm_peak', 'op_runner']


def gemm_ops(model: nn.Module, inputs: torch.Tensor) -> List[tuple]:
    """The distinct GEMM-like ops one forward pass of ``model`` runs:
    ``('linear', M, K, N)``, ``('conv', input shape, weight shape, stride,
    padding, groups)`` and ``('bmm', B, M, K, N)`` (attention). The model
    itself is not changed (a copy runs)."""
    ops = set()

    def hook(module, args):
        x = args[0]
        if isinstance(module, nn.Linear):
            ops.add(('linear', x.numel() // x.shape[-1], module.in_features,
                     module.out_features))
        elif isinstance(module, nn.Conv2d):
            ops.add(('conv', tuple(x.shape), tuple(module.weight.shape),
                     module.stride, module.padding, module.groups))
        elif isinstance(module, MultiheadSelfAttention):
            batch, tokens, _ = x.shape
            bh = batch * module.num_heads
            ops.add(('bmm', bh, tokens, module.head_dims, tokens))
            ops.add(('bmm', bh, tokens, tokens, module.head_dims))

    probe = copy.deepcopy(model).train()  # train: every conv runs as a module
    handles = [
        m.register_forward_pre_hook(hook) for m in probe.modules()
        if isinstance(m, (nn.Linear, nn.Conv2d, MultiheadSelfAttention))
    ]
    try:
        with torch.no_grad():
            probe(inputs, mode='tensor')
    finally:
        for handle in handles:
            handle.remove()
    return sorted(ops, key=str)


def op_runner(op: tuple, dtype: torch.dtype, device: str,
              channels_last: bool) -> Tuple[Callable, float]:
    """A closure that runs ``op`` once on random operands, and its
    operations (multiply and add counted apart). int8: linear ops only, as
    ``torch._int_mm`` (int8 x int8 -> int32) runs them."""
    kind = op[0]
    if dtype is torch.int8:
        if kind != 'linear':
            raise ValueError(f'int8 peaks are taken from linear ops, got '
                             f'{kind}')
        _, m, k, n = op
        x = torch.randint(-128, 128, (m, k), dtype=dtype, device=device)
        w = torch.randint(-128, 128, (k, n), dtype=dtype, device=device)
        return (lambda: torch._int_mm(x, w)), 2.0 * m * k * n
    if kind == 'linear':
        _, m, k, n = op
        x = torch.randn(m, k, dtype=dtype, device=device)
        w = torch.randn(n, k, dtype=dtype, device=device)
        return (lambda: F.linear(x, w)), 2.0 * m * k * n
    if kind == 'bmm':
        _, b, m, k, n = op
        x = torch.randn(b, m, k, dtype=dtype, device=device)
        y = torch.randn(b, k, n, dtype=dtype, device=device)
        return (lambda: torch.bmm(x, y)), 2.0 * b * m * k * n
    _, x_shape, w_shape, stride, padding, groups = op
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(x_shape, dtype=dtype,
                    device=device).contiguous(memory_format=fmt)
    w = torch.randn(w_shape, dtype=dtype,
                    device=device).contiguous(memory_format=fmt)
    out = F.conv2d(x, w, None, stride, padding, 1, groups)
    flops = 2.0 * out.numel() * w_shape[1] * w_shape[2] * w_shape[3]
    return (lambda: F.conv2d(x, w, None, stride, padding, 1, groups)), flops


def gemm_peak(model: nn.Module, inputs: torch.Tensor, dtype: str,
              device: str, repeats: int = 5) -> Dict[str, object]:
    """The best rate (GFLOP/s, or GOP/s for int8) of the GEMM-like ops the
    model itself runs (its linear layers, convolutions and attention
    matmuls; for ``'int8'`` its linear layers, as ``torch._int_mm``), each
    timed alone in this process, at this thread count, in ``dtype``, best
    of ``repeats`` calls.

    The model as a whole cannot run faster than its fastest op, so the
    fraction of this peak that a model reaches stays at or below 1, where a
    fixed probe (one square matmul) can under-measure.

    Returns:
        dict: ``gflops_per_s`` and the ``op`` that reached it.
    """
    torch_dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16,
                   'int8': torch.int8}.get(dtype, torch.float32)
    channels_last = getattr(getattr(model, 'backbone', model),
                            'channels_last', False)
    best = (0.0, None)
    ops = gemm_ops(model, inputs)
    if dtype == 'int8':
        ops = [op for op in ops if op[0] == 'linear']
    sync = torch.cuda.synchronize if device.startswith('cuda') else \
        (lambda: None)
    with torch.no_grad():
        for op in ops:
            run, flops = op_runner(op, torch_dtype, device, channels_last)
            run()  # warm-up
            for _ in range(repeats):
                sync()
                start = time.perf_counter()
                run()
                sync()
                rate = flops / (time.perf_counter() - start) / 1e9
                best = max(best, (rate, op), key=lambda b: b[0])
    return dict(gflops_per_s=best[0], op=str(best[1]))
