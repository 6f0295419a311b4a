# Copyright (c) mmconformer contributors. All rights reserved.
"""One callable per variant and mode, what the timing loop runs, and the peak
memory of one."""
import copy
import functools
import gc
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .variants import BenchmarkSpec, Variant, build_models

EXPORTED = ('onnxruntime', 'openvino')


def _spawned(func: Callable, *args):
    """``func(*args)`` in a fresh (spawned) process."""
    with ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(func, *args).result()


def autocast(device: str, dtype: str):
    """Autocast on ``device`` for ``'bf16'`` and ``'fp16'``, off else."""
    return torch.autocast(
        device.split(':')[0], enabled=dtype in ('bf16', 'fp16'),
        dtype=torch.float16 if dtype == 'fp16' else torch.bfloat16)


def make_step(model: nn.Module, mode: str, inputs: torch.Tensor,
              labels: torch.Tensor, device: str, dtype: str,
              optimizer: Optional[torch.optim.Optimizer] = None) -> Callable:
    """One inference pass (no grad), or one training step: forward, the
    loss of both heads, backward and an optimizer step (fp16 with a dynamic
    loss scale, as mmengine's AmpOptimWrapper)."""
    if mode == 'infer':

        def step():
            with torch.no_grad(), autocast(device, dtype):
                model(inputs, mode='tensor')

        return step
    scaler = torch.amp.GradScaler(device.split(':')[0],
                                  enabled=dtype == 'fp16')

    def step():
        with autocast(device, dtype):
            conv_logits, trans_logits = model(inputs, mode='tensor')
            loss = F.cross_entropy(conv_logits.float(), labels) + \
                F.cross_entropy(trans_logits.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def _export(runtime: str, model: nn.Module, tmp: str, pixels,
            dtypes: Sequence[str]) -> None:
    """Our exports of ``model`` at the shape of ``pixels`` into ``tmp``
    (``fp32``, and ``int8`` calibrated on ``pixels``)."""
    from ...apis import export_onnx, export_openvino, quantize_onnx_int8
    from ...utils import silence_known_warnings
    silence_known_warnings()
    files = {'int8' if d == 'int8' else 'fp32' for d in dtypes}
    if runtime == 'openvino':
        for ir in files:
            export_openvino(model, f'{tmp}/{ir}.xml', pixels.shape[-2:],
                            [pixels] if ir == 'int8' else None)
        return
    export_onnx(model, f'{tmp}/fp32.onnx', pixels.shape[-2:], pixels.shape[0])
    if 'int8' in files:
        quantize_onnx_int8(f'{tmp}/fp32.onnx', f'{tmp}/int8.onnx', [pixels])


def exported_sessions(runtime: str, model: nn.Module, inputs: torch.Tensor,
                      dtypes: Sequence[str], **config) -> Dict[str, object]:
    """Per dtype, our export of ``model`` at the input's shape, loaded for
    the CPU at this process's thread count: ONNX sessions that do not spin
    (spinning threads would take the cores from the next row), or OpenVINO
    IRs compiled with the latency hint and ``config`` (``'fp32'`` at fp32
    precision; ``'bf16'``, the fp32 IR, and NNCF's ``'int8'`` at OpenVINO's
    default). A spawned process writes them: converting in a process that
    has run PyTorch's compiled and int8 paths can corrupt its heap. int8 is
    calibrated on the input, since the time does not depend on values.
    """
    from ...apis import compile_openvino
    from ...apis.onnx_export import onnx_session
    threads = torch.get_num_threads()
    config.update(PERFORMANCE_HINT='LATENCY', INFERENCE_NUM_THREADS=threads)
    pixels = inputs.cpu().contiguous().numpy()
    with tempfile.TemporaryDirectory() as tmp:
        _spawned(_export, runtime, model.cpu(), tmp, pixels, dtypes)
        if runtime == 'onnxruntime':
            return {d: onnx_session(f'{tmp}/{d}.onnx', threads, False)
                    for d in dtypes}
        return {
            d: compile_openvino(
                f'{tmp}/{"int8" if d == "int8" else "fp32"}.xml',
                dict(config, INFERENCE_PRECISION_HINT='f32')
                if d == 'fp32' else config)
            for d in dtypes
        }


def sample_batch(spec: BenchmarkSpec,
                 num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The fixed random batch every variant runs on: images and labels."""
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(spec.batch_size, 3, *spec.input_size, generator=gen)
    labels = torch.randint(0, num_classes, (spec.batch_size, ), generator=gen)
    return inputs.to(spec.device), labels.to(spec.device)


def _runner(spec: BenchmarkSpec, model: nn.Module, variant: Variant,
            inputs: torch.Tensor) -> Tuple[nn.Module, str]:
    """The module a variant calls, and the autocast its step adds
    (``'fp32'``: the runner casts itself)."""
    if variant.runtime == 'fast':
        from ...apis import optimize_for_inference
        calibration = [inputs] if variant.dtype == 'int8' else None
        return optimize_for_inference(model, variant.dtype,
                                      calibration=calibration), 'fp32'
    if variant.runtime == 'compiled':
        return torch.compile(model, options={'freezing': True}), \
            variant.dtype
    return (torch.compile(model) if spec.compile else model), variant.dtype


def prepare_steps(spec: BenchmarkSpec, models: Dict[str, nn.Module],
                  variants: Sequence[Variant], modes: Sequence[str]
                  ) -> Dict[Tuple[str, Variant], Callable]:
    """A model copy (same weights) and its step per ``(mode, variant)``, in
    the report's order; only eager variants train."""
    inputs, labels = sample_batch(spec, models['mmconformer'].head.num_classes)
    pixels = inputs.cpu().contiguous().numpy()
    steps = {}
    for runtime in EXPORTED:
        exported = [v for v in variants if v.runtime == runtime]
        if exported and 'infer' in modes:
            sessions = exported_sessions(
                runtime, copy.deepcopy(models['mmconformer']), inputs,
                [v.dtype for v in exported])
            steps.update({
                ('infer', v): functools.partial(sessions[v.dtype].run, None,
                                                {'input': pixels})
                if runtime == 'onnxruntime' else
                functools.partial(sessions[v.dtype], pixels)
                for v in exported
            })
    for mode in modes:
        for v in variants:
            if v.runtime in EXPORTED or mode == 'train' and \
                    v.runtime != 'eager':
                continue
            model = copy.deepcopy(models[v.impl])
            model = model.to(spec.device).train(mode == 'train')
            x = inputs
            if v.impl == 'mmpretrain' and v.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = inputs.contiguous(memory_format=torch.channels_last)
            runner, dtype = _runner(spec, model, v, inputs)
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) \
                if mode == 'train' else None
            steps[(mode, v)] = make_step(runner, mode, x, labels,
                                         spec.device, dtype, optimizer)
    return {(mode, v): steps[(mode, v)] for mode in modes for v in variants
            if (mode, v) in steps}


def _one_step(spec: BenchmarkSpec, mode: str, variant: Variant) -> Callable:
    models = build_models(spec.model_cfg, {variant.impl})
    return prepare_steps(spec, models, [variant], [mode])[(mode, variant)]


def _status_kib(name: str) -> int:
    """A ``VmRSS``-style field of /proc/self/status, in KiB."""
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f
                    if line.startswith(name + ':'))


def _rss_growth(spec: BenchmarkSpec, mode: str, variant: Variant,
                threads: int) -> int:
    """In a fresh process: the peak-RSS growth, in bytes, over two steps,
    after the model is built."""
    from mmengine.logging import MMLogger

    from ...utils import silence_known_warnings
    silence_known_warnings()
    # The parent's quiet logger does not reach this process.
    MMLogger.get_instance('mmconformer-memory-probe', log_level='WARNING')
    torch.set_num_threads(threads)
    step = _one_step(spec, mode, variant)
    gc.collect()
    try:  # reset the kernel's peak-RSS mark (Linux >= 4.0)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError as err:
        raise RuntimeError('cannot reset the peak RSS (/proc/self/'
                           'clear_refs); measure without memory') from err
    before = _status_kib('VmRSS')
    for _ in range(2):
        step()
    return max(0, _status_kib('VmHWM') - before) * 1024


def measure_peak_memory(spec: BenchmarkSpec, mode: str,
                        variant: Variant) -> int:
    """Peak memory of two steps, in bytes: CUDA's max allocated, or on CPU
    the peak-RSS growth of a spawned process, so that one row's
    allocations do not hide in another's. Includes allocator caching."""
    if not spec.device.startswith('cuda'):
        return _spawned(_rss_growth, spec, mode, variant,
                        torch.get_num_threads())
    step = _one_step(spec, mode, variant)
    torch.cuda.reset_peak_memory_stats()
    step()
    step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()
