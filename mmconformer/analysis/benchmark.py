# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory measurement of Conformer implementations.

``tools/analysis_tools/benchmark.py`` is a thin command line over
:func:`run_benchmark`. Our classifier is built from a config; mmpretrain's
built-in ``Conformer`` + ``ConformerHead`` is built from the same config
(same arch, patch size, classes) and given the same weights. Both are timed
in one process, interleaved (a b a b ...), after warm-up.
"""
import contextlib
import copy
import datetime
import gc
import inspect
import multiprocessing
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models import ConformerBackbone
from ..utils.cpu_features import cpu_features
from ..utils.quiet import current_logger_level
from .complexity import get_complexity

__all__ = [
    'RUNTIMES', 'BenchmarkSpec', 'Variant', 'build_pair',
    'classifier_cfg_from_arch', 'reference_cfg', 'gemm_peak', 'make_step',
    'time_interleaved', 'run_benchmark', 'speed_ratios', 'format_table',
    'plot_results', 'machine_description', 'cpu_features',
    'onnxruntime_available', 'select_variants'
]

#: Backbone arguments that mmpretrain's ``Conformer`` shares with ours.
SHARED_BACKBONE_ARGS = ('arch', 'patch_size', 'base_channels', 'mlp_ratio',
                        'qkv_bias', 'with_cls_token', 'drop_path_rate')


#: How a variant runs. ``'eager'``: the module as built. ``'compiled'``:
#: ``torch.compile`` with Inductor freezing (the best a user gets from
#: mmpretrain's model by switches). ``'fast'``: our
#: :func:`~mmconformer.apis.optimize_for_inference`. ``'onnxruntime'``: our
#: ONNX export in onnxruntime (fp32). Only eager variants train.
RUNTIMES = ('eager', 'compiled', 'fast', 'onnxruntime')


class Variant(NamedTuple):
    """One implementation in one setting."""
    impl: str  # 'mmconformer' or 'mmpretrain'
    dtype: str  # 'fp32' or 'bf16' (autocast)
    channels_last: bool
    runtime: str = 'eager'  # one of RUNTIMES

    @property
    def setting(self) -> str:
        if self.runtime == 'fast':
            return f'fast-{self.dtype}'
        if self.runtime == 'onnxruntime':
            return 'onnxrt'
        parts = (['cl'] if self.channels_last else []) + \
            (['bf16'] if self.dtype == 'bf16' else []) + \
            (['compile'] if self.runtime == 'compiled' else [])
        return '+'.join(parts) or 'fp32'

    @property
    def trains(self) -> bool:
        return self.runtime == 'eager'


@dataclass
class BenchmarkSpec:
    """What to measure. Plain data, so that it can be sent to the memory
    probe's process.

    Args:
        model_cfg (dict): Our classifier config (``ImageClassifier`` with
            ``ConformerBackbone`` and ``DualBranchClsHead``).
        batch_size (int): Images per step. Defaults to 8.
        input_size (tuple): ``(H, W)``. Defaults to ``(224, 224)``.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            Defaults to ``'cpu'``.
        modes (tuple): ``'infer'`` and/or ``'train'``.
            Defaults to ``('infer', 'train')``.
        variants (list[Variant]): Implementations and settings to time.
        compile (bool): ``torch.compile`` every model. Defaults to False.
        warmup (int): Untimed rounds before timing. Defaults to 2.
        repeats (int): Timed rounds; the median is reported. Defaults to 5.
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


def onnxruntime_available() -> bool:
    """Whether onnxruntime and the exporter's onnxscript are installed
    (the ``[deploy]`` extra), so that the sweep can time our ONNX export."""
    import importlib.util
    return all(importlib.util.find_spec(name) is not None
               for name in ('onnxruntime', 'onnxscript'))


def select_variants(sweep: bool = False, fast: bool = False,
                    compare: bool = False, dtype: str = 'fp32',
                    channels_last: bool = False,
                    ours_channels_last: bool = True,
                    device: str = 'cpu') -> List[Variant]:
    """The implementations and settings one benchmark run times.

    Args:
        sweep (bool): Every peer with the same weights: ours and
            mmpretrain's eager in fp32 and bf16 (mmpretrain with and without
            channels_last), mmpretrain compiled with freezing in its best
            setting (channels_last + bf16), our fast path in fp32 and bf16,
            and onnxruntime on our export (CPU, when installed). ``dtype``,
            ``channels_last`` and ``compare`` are ignored. Defaults to False.
        fast (bool): Our :func:`optimize_for_inference` path in ``dtype``;
            with ``compare``, mmpretrain compiled alike (channels_last,
            ``dtype``, freezing). Defaults to False.
        compare (bool): Add mmpretrain's model beside ours.
            Defaults to False.
        dtype (str): ``'fp32'`` or ``'bf16'``. Defaults to ``'fp32'``.
        channels_last (bool): mmpretrain's model in channels_last, in the
            eager comparison. Defaults to False.
        ours_channels_last (bool): Our model's own ``channels_last``
            setting (its config's). Defaults to True.
        device (str): The device; onnxruntime is timed on CPU only.
            Defaults to ``'cpu'``.

    Returns:
        list[Variant]: In the order the report lists them.
    """
    if sweep:
        variants = [Variant('mmconformer', d, ours_channels_last)
                    for d in ('fp32', 'bf16')]
        variants += [Variant('mmpretrain', d, cl) for d in ('fp32', 'bf16')
                     for cl in (False, True)]
        variants += [Variant('mmpretrain', 'bf16', True, 'compiled')]
        variants += [Variant('mmconformer', d, True, 'fast')
                     for d in ('fp32', 'bf16')]
        if device == 'cpu' and onnxruntime_available():
            variants.append(
                Variant('mmconformer', 'fp32', True, 'onnxruntime'))
        return variants
    if fast:
        variants = [Variant('mmconformer', dtype, True, 'fast')]
        if compare:
            variants.append(Variant('mmpretrain', dtype, True, 'compiled'))
        return variants
    variants = [Variant('mmconformer', dtype, ours_channels_last)]
    if compare:
        variants.append(Variant('mmpretrain', dtype, channels_last))
    return variants


def classifier_cfg_from_arch(arch: str, patch_size: int = 16,
                             num_classes: int = 1000) -> dict:
    """Our classifier config for a published arch name."""
    settings = ConformerBackbone.arch_zoo[arch]
    conv_channels = int(64 * settings['channel_ratio'] * 4)
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ConformerBackbone', arch=arch,
                      patch_size=patch_size),
        head=dict(type='DualBranchClsHead', num_classes=num_classes,
                  in_channels=[conv_channels, settings['embed_dims']]))


def reference_cfg(model_cfg: dict) -> dict:
    """mmpretrain's ``Conformer`` + ``ConformerHead`` for the same model as
    our ``model_cfg``: the same arch (name or dict), patch size, widths and
    classes. Arguments mmpretrain's ``Conformer`` does not have (layout,
    dense outputs, checkpointing) are left out; defaults are ours, since
    mmpretrain's differ (its ``patch_size`` defaults to 16 too, but its
    ``norm_eval`` to True).

    Raises:
        ValueError: ``model_cfg`` is not a classifier with a
            ``ConformerBackbone`` in ``out_type='cls_token'`` mode.
    """
    backbone = dict(model_cfg.get('backbone') or {})
    if backbone.get('type', '').split('.')[-1] != 'ConformerBackbone' or \
            backbone.get('out_type', 'cls_token') != 'cls_token':
        raise ValueError(
            'the benchmark compares classifiers: the config needs '
            "model.backbone.type='ConformerBackbone' with "
            f"out_type='cls_token', got {backbone!r}")
    defaults = {
        name: p.default
        for name, p in inspect.signature(
            ConformerBackbone.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    resolved = {**defaults, **backbone}
    head = dict(model_cfg['head'])
    return dict(
        type='ImageClassifier',
        backbone=dict(type='Conformer', norm_eval=False, frozen_stages=-1,
                      **{k: resolved[k] for k in SHARED_BACKBONE_ARGS}),
        head=dict(type='ConformerHead', num_classes=head['num_classes'],
                  in_channels=list(head['in_channels'])))


def build_pair(model_cfg: dict) -> Dict[str, nn.Module]:
    """Our classifier (from ``model_cfg``) and mmpretrain's built-in one
    (from :func:`reference_cfg`), with the same weights."""
    from mmpretrain.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    cfg.get('backbone', {}).pop('init_cfg', None)
    cfg.pop('init_cfg', None)
    # Batch augments (Mixup/CutMix) would only slow the training step.
    cfg.pop('train_cfg', None)
    ours = MODELS.build(cfg)
    with current_logger_level():  # init reports of a model built to be timed
        ours.init_weights()
    ref = MODELS.build(reference_cfg(model_cfg))
    ref.load_state_dict(ours.state_dict(), strict=True)
    return {'mmconformer': ours, 'mmpretrain': ref}


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


def time_interleaved(steps: Dict, device: str, warmup: int,
                     repeats: int) -> Dict[object, List[float]]:
    """Run the steps round-robin (``a b a b ...``) after ``warmup`` rounds,
    so that slow drifts of the machine hit every implementation alike.
    Returns the seconds of each repeat per key."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    _sync(device)
    times: Dict[object, List[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            step()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return times


# ---------------------------------------------------------------------- #
# The machine's peak: the best rate of the model's own GEMMs
# ---------------------------------------------------------------------- #
def _gemm_ops(model: nn.Module, inputs: torch.Tensor) -> List[tuple]:
    """The distinct GEMM-like ops one forward pass of ``model`` runs:
    ``('linear', M, K, N)``, ``('conv', input shape, weight shape, stride,
    padding, groups)`` and ``('bmm', B, M, K, N)`` (attention)."""
    from ..models.layers.transformer_layer import MultiheadSelfAttention
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


def _op_runner(op: tuple, dtype: torch.dtype, device: str,
               channels_last: bool) -> Tuple[Callable, float]:
    """A closure that runs ``op`` once, and its floating-point operations."""
    kind = op[0]
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
    """The machine's peak for this model: the best rate (GFLOP/s) of the
    GEMM-like ops the model itself runs (its linear layers, convolutions and
    attention matmuls), each timed alone in this process, at this thread
    count, in ``dtype``. The model as a whole cannot run faster than its
    fastest op, so "fraction of peak" stays at or below 1 where a fixed
    probe (one square matmul) can under-measure.

    Returns:
        dict: ``gflops_per_s`` and the ``op`` that reached it.
    """
    torch_dtype = torch.bfloat16 if dtype == 'bf16' else torch.float32
    channels_last = getattr(getattr(model, 'backbone', model),
                            'channels_last', False)
    best = (0.0, None)
    for op in _gemm_ops(model, inputs):
        run, flops = _op_runner(op, torch_dtype, device, channels_last)
        with torch.no_grad():
            run()
            seconds = []
            for _ in range(repeats):
                _sync(device)
                start = time.perf_counter()
                run()
                _sync(device)
                seconds.append(time.perf_counter() - start)
        rate = flops / min(seconds) / 1e9
        if rate > best[0]:
            best = (rate, op)
    return dict(gflops_per_s=best[0], op=str(best[1]))


# ---------------------------------------------------------------------- #
# Steps, memory, the whole run
# ---------------------------------------------------------------------- #
def _onnxruntime_step(model: nn.Module, inputs: torch.Tensor) -> Callable:
    """Export ``model`` at the input's shape and return a step that runs it
    in onnxruntime (the graph normalises pixels itself; the timing does not
    depend on their values)."""
    import tempfile

    import onnxruntime

    from ..apis import export_onnx
    with tempfile.TemporaryDirectory() as tmp:
        path = f'{tmp}/model.onnx'
        export_onnx(model.cpu(), path, tuple(inputs.shape[-2:]),
                    inputs.shape[0])
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = torch.get_num_threads()
        session = onnxruntime.InferenceSession(
            path, options, providers=['CPUExecutionProvider'])
    pixels = inputs.cpu().contiguous().numpy()

    def step():
        session.run(None, {'input': pixels})

    return step


def _prepare_steps(spec: BenchmarkSpec, models: Dict[str, nn.Module],
                   variants: List[Variant], modes) -> Dict:
    """One model copy per (mode, variant), same weights; the steps to time,
    keyed by ``(mode, variant)``. Variants that only infer are left out of
    the training mode."""
    num_classes = models['mmconformer'].head.num_classes
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(spec.batch_size, 3, *spec.input_size,
                         generator=gen).to(spec.device)
    labels = torch.randint(0, num_classes, (spec.batch_size, ),
                           generator=gen).to(spec.device)
    steps = {}
    for mode in modes:
        for variant in variants:
            if mode == 'train' and not variant.trains:
                continue
            if variant.runtime == 'onnxruntime':
                steps[(mode, variant)] = _onnxruntime_step(
                    copy.deepcopy(models[variant.impl]), inputs)
                continue
            model = copy.deepcopy(models[variant.impl]).to(spec.device)
            x = inputs
            if variant.impl == 'mmpretrain' and variant.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = inputs.contiguous(memory_format=torch.channels_last)
            model.train(mode == 'train')
            dtype = variant.dtype
            if variant.runtime == 'fast':
                from ..apis import optimize_for_inference
                runner = optimize_for_inference(model, variant.dtype)
                dtype = 'fp32'  # the autocast is inside
            elif variant.runtime == 'compiled':
                runner = torch.compile(model, options={'freezing': True})
            else:
                runner = torch.compile(model) if spec.compile else model
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) \
                if mode == 'train' else None
            steps[(mode, variant)] = make_step(runner, mode, x, labels,
                                               spec.device, dtype,
                                               optimizer)
    return steps


def _status_kib(name: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(name + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{name} not in /proc/self/status')


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0:
    ``5 > /proc/self/clear_refs``). False where that is refused."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _memory_probe(spec: BenchmarkSpec, mode: str, variant: Variant,
                  threads: int) -> int:
    """Runs in a fresh process: the peak-RSS growth, in bytes, over two steps
    of one (mode, variant), after the model is built."""
    from mmengine.logging import MMLogger

    from ..utils import silence_known_warnings
    silence_known_warnings()
    # The parent's quiet logger does not reach this process.
    MMLogger.get_instance('mmconformer-memory-probe', log_level='WARNING')
    torch.set_num_threads(threads)
    models = build_pair(spec.model_cfg)
    step = _prepare_steps(spec, models, [variant], [mode])[(mode, variant)]
    gc.collect()
    if not _reset_peak_rss():
        raise RuntimeError('cannot reset the peak RSS (/proc/self/'
                           'clear_refs); measure without memory')
    before = _status_kib('VmRSS')
    for _ in range(2):
        step()
    return max(0, _status_kib('VmHWM') - before) * 1024


def measure_peak_memory(spec: BenchmarkSpec, mode: str,
                        variant: Variant) -> int:
    """Peak memory of two steps, in bytes: CUDA's max allocated, or on CPU
    the peak-RSS growth of a separate (spawned) process, so that one row's
    allocations do not hide in another's. Includes allocator caching."""
    if spec.device.startswith('cuda'):
        models = build_pair(spec.model_cfg)
        step = _prepare_steps(spec, models, [variant], [mode])[(mode,
                                                                variant)]
        torch.cuda.reset_peak_memory_stats()
        step()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    with ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(_memory_probe, spec, mode, variant,
                           torch.get_num_threads()).result()


def run_benchmark(spec: BenchmarkSpec,
                  measure_memory: bool = True,
                  log: Callable[[str], None] = lambda msg: None) -> dict:
    """Time every (mode, variant) of ``spec``, interleaved.

    Returns:
        dict: ``results`` (one row per mode and variant: img/s, median and
        first-step seconds, achieved GFLOP/s counted with the FLOPs each
        implementation executes, the machine's GEMM peak for that dtype and
        the fraction of it, peak memory), ``ratios`` (see
        :func:`speed_ratios`) and ``peaks`` (per dtype, with the op that
        reached it).
    """
    models = build_pair(spec.model_cfg)
    h, w = spec.input_size
    complexity = get_complexity(copy.deepcopy(models['mmconformer']),
                                (3, h, w))
    # Each implementation's rate is counted with the FLOPs it executes:
    # ours pools before FCUDown's conv, mmpretrain's runs the official order.
    flops = {
        'mmconformer':
        complexity['executed_flops'] + complexity['attention_flops'],
        'mmpretrain': complexity['total_flops']
    }
    sample = torch.randn(spec.batch_size, 3, h, w).to(spec.device)
    peaks = {}
    for dtype in sorted({v.dtype for v in spec.variants}):
        log(f'measuring the GEMM peak ({dtype})')
        peaks[dtype] = gemm_peak(models['mmconformer'].to(spec.device),
                                 sample, dtype, spec.device)
    steps = _prepare_steps(spec, models, spec.variants, spec.modes)
    results = []
    for mode in spec.modes:
        subset = {v: s for (m, v), s in steps.items() if m == mode}
        log(f'timing {mode}: {len(subset)} variants')
        # The first call on its own: with compile it includes compiling.
        first = time_interleaved(subset, spec.device, 0, 1)
        times = time_interleaved(subset, spec.device, spec.warmup,
                                 spec.repeats)
        for variant in spec.variants:
            if variant not in subset:
                continue
            seconds = statistics.median(times[variant])
            work = flops[variant.impl] * (1 if mode == 'infer' else 3)
            rate = 2 * work * spec.batch_size / seconds / 1e9
            peak = peaks[variant.dtype]['gflops_per_s']
            row = dict(
                impl=variant.impl, setting=variant.setting, mode=mode,
                batch_size=spec.batch_size, input_size=[h, w],
                dtype=variant.dtype, channels_last=variant.channels_last,
                runtime=variant.runtime,
                compile=spec.compile or variant.runtime in ('compiled',
                                                            'fast'),
                device=spec.device,
                img_per_s=spec.batch_size / seconds, median_s=seconds,
                first_step_s=first[variant][0], gflops_per_s=rate,
                peak_gflops_per_s=peak, fraction_of_peak=rate / peak)
            # Compiling or exporting again in the probe's process would
            # cost minutes per row: peak memory is for eager rows.
            if measure_memory and variant.runtime == 'eager':
                log(f'peak memory: {mode} {variant.impl} {variant.setting}')
                row['peak_memory_mib'] = measure_peak_memory(
                    spec, mode, variant) / 2**20
            results.append(row)
    return dict(results=results, ratios=speed_ratios(results), peaks=peaks)


def _label(row: dict) -> str:
    return f'{row["impl"]} {row["setting"]}'


def speed_ratios(results: List[dict]) -> List[dict]:
    """The ratios of img/s that the settings are judged by, per mode.

    - One mmpretrain row (a plain comparison): ours over it, same settings.
    - A sweep (several mmpretrain eager rows): ours fp32 over mmpretrain's
      default (fp32, NCHW), ours bf16 over it, and ours bf16 over
      mmpretrain's fastest eager setting.
    - Our fast path: bf16 over mmpretrain's default (issue target 5x) and
      over mmpretrain compiled with freezing (1.10x); fp32 over our own fp32
      eager (1.20x). onnxruntime over our fp32 eager.

    Each entry: ``mode``, ``numerator``, ``denominator`` (``'impl
    setting'``), ``note`` and ``ratio``.
    """
    ratios = []
    for mode in ('infer', 'train'):
        rows = [r for r in results if r['mode'] == mode]

        def pick(impl, runtime, dtype=None, setting=None):
            for r in rows:
                if r['impl'] == impl and \
                        r.get('runtime', 'eager') == runtime and \
                        dtype in (None, r['dtype']) and \
                        setting in (None, r['setting']):
                    return r
            return None

        refs = [r for r in rows if r['impl'] == 'mmpretrain'
                and r.get('runtime', 'eager') == 'eager']
        compiled = [r for r in rows if r['impl'] == 'mmpretrain'
                    and r.get('runtime', 'eager') == 'compiled']
        ours_fp32 = pick('mmconformer', 'eager', 'fp32')
        default = pick('mmpretrain', 'eager', setting='fp32')
        pairs = []
        if len(refs) == 1 and not compiled:
            (ref, ) = refs
            pairs.append((pick('mmconformer', 'eager', ref['dtype']), ref,
                          'same dtype'))
        elif len(refs) > 1:
            best = max(refs, key=lambda r: r['img_per_s'])
            ours_bf16 = pick('mmconformer', 'eager', 'bf16')
            pairs += [(ours_fp32, default, 'both defaults'),
                      (ours_bf16, default, 'mmpretrain default'),
                      (ours_bf16, best, 'mmpretrain fastest')]
        fast_bf16 = pick('mmconformer', 'fast', 'bf16')
        fast_fp32 = pick('mmconformer', 'fast', 'fp32')
        if compiled:
            best_compiled = max(compiled, key=lambda r: r['img_per_s'])
            for fast in (fast_bf16, fast_fp32):
                if fast is not None and \
                        fast['dtype'] == best_compiled['dtype']:
                    pairs.append((fast, best_compiled,
                                  'both compiled with freezing (target '
                                  '>= 1.10x)'))
        pairs += [(fast_bf16, default,
                   "mmpretrain's fp32 eager default (target >= 5x)"),
                  (fast_fp32, ours_fp32, 'our own fp32 eager (target >= '
                   '1.20x)'),
                  (pick('mmconformer', 'onnxruntime'), ours_fp32,
                   'our own fp32 eager')]
        for num, den, note in pairs:
            if num is None or den is None:
                continue
            ratios.append(dict(mode=mode, numerator=_label(num),
                               denominator=_label(den), note=note,
                               ratio=num['img_per_s'] / den['img_per_s']))
    return ratios


def format_table(results: List[dict], ratios: List[dict]) -> str:
    compiled = any(r['compile'] for r in results)
    lines = [f'{"impl":<12} {"setting":<15} {"mode":<6} {"img/s":>8} '
             f'{"GFLOP/s":>8} {"of peak":>8} {"peak MiB":>9}' +
             (f' {"1st call s":>10}' if compiled else '')]
    for r in results:
        mem = r.get('peak_memory_mib')
        lines.append(
            f'{r["impl"]:<12} {r["setting"]:<15} {r["mode"]:<6} '
            f'{r["img_per_s"]:>8.2f} {r["gflops_per_s"]:>8.1f} '
            f'{100 * r["fraction_of_peak"]:>7.1f}% '
            f'{"" if mem is None else f"{mem:9.0f}":>9}' +
            (f' {r["first_step_s"]:>10.1f}' if compiled else ''))
    for r in ratios:
        lines.append(f'speed ratio ({r["mode"]}): {r["ratio"]:.2f}x  '
                     f'[{r["numerator"]} / {r["denominator"]}: '
                     f'{r["note"]}]')
    return '\n'.join(lines)


def plot_results(results: List[dict], path: str, title: str) -> None:
    """A bar chart of img/s per mode, written atomically to ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from ..utils import atomic_write
    modes = [m for m in ('infer', 'train')
             if any(r['mode'] == m for r in results)]
    fig, axes = plt.subplots(
        1, len(modes), squeeze=False, figsize=(0.9 * len(results) + 2, 3.6))
    for ax, mode in zip(axes[0], modes):
        rows = [r for r in results if r['mode'] == mode]
        bars = ax.bar([f'{r["impl"]}\n{r["setting"]}' for r in rows],
                      [r['img_per_s'] for r in rows],
                      color=['C0' if r['impl'] == 'mmconformer' else 'C1'
                             for r in rows])
        ax.bar_label(bars, fmt='%.1f', fontsize=8)
        ax.set_title(mode)
        ax.set_ylabel('images / s')
        ax.tick_params(axis='x', labelsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=110)
    plt.close(fig)


def machine_description(device: str) -> str:
    """The device's name; for a CPU also its bf16-relevant flags and the
    thread count."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    name = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ', '.join(cpu_features()) or 'no AVX2/AVX-512/AMX flags'
    return f'{name} ({flags}), {torch.get_num_threads()} threads'


def report_meta(spec: BenchmarkSpec, command: str) -> dict:
    """What the JSON records besides the rows."""
    return dict(
        torch=torch.__version__,
        machine=machine_description(spec.device),
        cpu_features=cpu_features(),
        date=datetime.date.today().isoformat(),
        command=command,
        spec=dict(asdict(spec),
                  variants=[v._asdict() for v in spec.variants]))
