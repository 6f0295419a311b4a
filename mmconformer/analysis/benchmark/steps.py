# Copyright (c) mmconformer contributors. All rights reserved.
"""What to measure, and one callable per variant and mode: what the timing
loop runs."""
import copy
import functools
import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .variants import Variant, classifier_cfg_from_arch, select_variants

__all__ = ['BenchmarkSpec', 'build_spec', 'make_step', 'prepare_steps',
           'sample_batch']


@dataclass
class BenchmarkSpec:
    """What to measure; plain data, so that the memory probe's process can
    receive it.

    Args:
        model_cfg (dict): Our classifier config.
        variants (list[Variant]): What to time. Defaults to [].
        batch_size (int): Images per step. Defaults to 8.
        input_size (tuple): ``(H, W)``. Defaults to ``(224, 224)``.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            Defaults to ``'cpu'``.
        modes (tuple): ``'infer'`` and/or ``'train'``.
            Defaults to ``('infer', 'train')``.
        compile (bool): ``torch.compile`` every eager model.
            Defaults to False.
        warmup (int): Untimed rounds before timing. Defaults to 2.
        repeats (int): Timed rounds. Defaults to 5.
        baseline (str, optional): The row every row's speed is divided by,
            ``'<impl> <setting>'``. Defaults to None
            (:func:`~.report.default_baseline`).
    """
    model_cfg: dict
    variants: List[Variant] = field(default_factory=list)
    batch_size: int = 8
    input_size: Tuple[int, int] = (224, 224)
    device: str = 'cpu'
    modes: Tuple[str, ...] = ('infer', 'train')
    compile: bool = False
    warmup: int = 2
    repeats: int = 5
    baseline: Optional[str] = None


def build_spec(config: Optional[str] = None, arch: Optional[str] = None,
               patch_size: int = 16, with_cp: bool = False,
               latency: bool = False, mode: str = 'both',
               batch_size: int = 8, input_size: Sequence[int] = (224, ),
               device: str = 'cpu', **options) -> BenchmarkSpec:
    """The :class:`BenchmarkSpec` of the command line's options.

    Args:
        config (str, optional): Our classifier config file, or give ``arch``
            (a 1000-class classifier, with ``patch_size``, default 16).
        with_cp (bool): Activation checkpointing in our backbone.
        latency (bool): Batch 1, inference only.
        mode (str): ``'infer'``, ``'train'`` or ``'both'``.
        input_size (Sequence[int]): ``(S, )`` or ``(H, W)``.
        **options: ``sweep``, ``fast``, ``compare``, ``dtype`` and
            ``channels_last`` of :func:`select_variants`; ``compile``,
            ``warmup``, ``repeats`` and ``baseline`` of the spec.
    """
    if config is not None:
        from mmengine.config import Config
        model_cfg = Config.fromfile(config).model.to_dict()
    else:
        model_cfg = classifier_cfg_from_arch(arch, patch_size)
    backbone = model_cfg['backbone']
    if with_cp:
        backbone['with_cp'] = True
    timing = {key: options.pop(key)
              for key in ('compile', 'warmup', 'repeats', 'baseline')
              if key in options}
    variants = select_variants(
        **options, device=device,
        ours_channels_last=backbone.get('channels_last', True))
    modes = ('infer', ) if options.get('fast') or latency else \
        ('infer', 'train') if mode == 'both' else (mode, )
    return BenchmarkSpec(
        model_cfg=model_cfg, variants=variants,
        batch_size=1 if latency else batch_size,
        input_size=tuple(input_size) * (3 - len(input_size)), device=device,
        modes=modes, **timing)


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


def onnxruntime_steps(model: nn.Module, inputs: torch.Tensor,
                      dtypes: Sequence[str]) -> Dict[str, Callable]:
    """Per dtype (``'fp32'``, ``'int8'``), a step that runs our ONNX export
    of ``model`` at the input's shape in onnxruntime on the CPU (int8:
    quantized by onnxruntime's static quantizer calibrated on the input).
    The sessions do not spin: onnxruntime's threads, spinning after a call,
    would take the cores from the row timed next."""
    from ...apis import export_onnx, quantize_onnx_int8
    from ...apis.onnx_export import onnx_session
    pixels = inputs.cpu().contiguous().numpy()
    sessions = {}
    with tempfile.TemporaryDirectory() as tmp:
        export_onnx(model.cpu(), f'{tmp}/fp32.onnx', tuple(pixels.shape[-2:]),
                    pixels.shape[0])
        if 'int8' in dtypes:
            quantize_onnx_int8(f'{tmp}/fp32.onnx', f'{tmp}/int8.onnx',
                               [pixels])
        for dtype in dtypes:
            sessions[dtype] = onnx_session(f'{tmp}/{dtype}.onnx',
                                           torch.get_num_threads(),
                                           spinning=False)
    return {dtype: functools.partial(session.run, None, {'input': pixels})
            for dtype, session in sessions.items()}


def _export_irs(model: nn.Module, tmp: str, pixels,
                dtypes: Sequence[str]) -> None:
    from ...apis import export_openvino
    from ...utils import silence_known_warnings
    silence_known_warnings()
    for ir in {'int8' if d == 'int8' else 'fp32' for d in dtypes}:
        export_openvino(model, f'{tmp}/{ir}.xml', pixels.shape[-2:],
                        [pixels] if ir == 'int8' else None)


def openvino_compiled(model: nn.Module, inputs: torch.Tensor,
                      dtypes: Sequence[str], **config) -> Dict[str, object]:
    """Per dtype, ``model`` as an OpenVINO IR at the input's size (for
    ``'int8'``, quantized by NNCF calibrated on the input), compiled for
    the CPU at this process's thread count with the latency hint and
    ``config``: ``'fp32'`` at fp32 precision, ``'bf16'`` (the fp32 IR) and
    ``'int8'`` at OpenVINO's default (bf16 where the CPU computes it). The
    IRs are written by one spawned process: converting in a process that
    has run PyTorch's compiled and int8 paths can corrupt its heap."""
    from ...apis import compile_openvino
    pixels = inputs.cpu().contiguous().numpy()
    config.update(PERFORMANCE_HINT='LATENCY',
                  INFERENCE_NUM_THREADS=torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context('spawn')) as pool:
        pool.submit(_export_irs, model.cpu(), tmp, pixels, dtypes).result()
        return {
            dtype: compile_openvino(
                f'{tmp}/{"int8" if dtype == "int8" else "fp32"}.xml',
                dict(config, INFERENCE_PRECISION_HINT='f32')
                if dtype == 'fp32' else config)
            for dtype in dtypes
        }


def openvino_steps(model: nn.Module, inputs: torch.Tensor,
                   dtypes: Sequence[str]) -> Dict[str, Callable]:
    """Per dtype, a step that runs :func:`openvino_compiled` on the input."""
    pixels = inputs.cpu().contiguous().numpy()
    return {dtype: functools.partial(compiled, pixels) for dtype, compiled in
            openvino_compiled(model, inputs, dtypes).items()}


def sample_batch(spec: BenchmarkSpec,
                 num_classes: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The fixed random batch every variant runs on: images and labels."""
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(spec.batch_size, 3, *spec.input_size, generator=gen)
    labels = torch.randint(0, num_classes, (spec.batch_size, ), generator=gen)
    return inputs.to(spec.device), labels.to(spec.device)


def _runner(spec: BenchmarkSpec, model: nn.Module,
            variant: Variant) -> Tuple[nn.Module, str]:
    """The module a variant calls, and the autocast its step adds
    (``'fp32'``: the runner casts itself)."""
    if variant.runtime == 'fast':
        from ...apis import optimize_for_inference

        # int8 is calibrated on the timed batch: the time does not depend on
        # the values
        calibration = [sample_batch(spec, 1)[0]] \
            if variant.dtype == 'int8' else None
        return optimize_for_inference(model, variant.dtype,
                                      calibration=calibration), 'fp32'
    if variant.runtime == 'compiled':
        return torch.compile(model, options={'freezing': True}), \
            variant.dtype
    return (torch.compile(model) if spec.compile else model), variant.dtype


def prepare_steps(spec: BenchmarkSpec, models: Dict[str, nn.Module],
                  variants: Sequence[Variant], modes: Sequence[str]
                  ) -> Dict[Tuple[str, Variant], Callable]:
    """A model copy (same weights) and its step per ``(mode, variant)``;
    variants that only infer are left out of training."""
    inputs, labels = sample_batch(spec, models['mmconformer'].head.num_classes)
    steps = {}
    for runtime, make in (('onnxruntime', onnxruntime_steps),
                          ('openvino', openvino_steps)):
        exported = [v for v in variants if v.runtime == runtime]
        if exported and 'infer' in modes:
            made = make(copy.deepcopy(models['mmconformer']), inputs,
                        [v.dtype for v in exported])
            steps.update({('infer', v): made[v.dtype] for v in exported})
    for mode in modes:
        for variant in variants:
            if variant.runtime in ('onnxruntime', 'openvino') or \
                    mode == 'train' and not variant.trains:
                continue
            model = copy.deepcopy(models[variant.impl])
            model = model.to(spec.device).train(mode == 'train')
            x = inputs
            if variant.impl == 'mmpretrain' and variant.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = inputs.contiguous(memory_format=torch.channels_last)
            runner, dtype = _runner(spec, model, variant)
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) \
                if mode == 'train' else None
            steps[(mode, variant)] = make_step(runner, mode, x, labels,
                                               spec.device, dtype, optimizer)
    # in the order of the report's rows
    return {(mode, v): steps[(mode, v)] for mode in modes for v in variants
            if (mode, v) in steps}
