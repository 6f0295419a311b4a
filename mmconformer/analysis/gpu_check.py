# Copyright (c) mmconformer contributors. All rights reserved.
"""Everything the project measures on a GPU, as one run that fits a few
minutes: the GPU tests (run by the caller), training against mmpretrain in
fp16 and bf16 AMP (eager and compiled), inference of every peer (our fast
path in fp16 included), and peak training memory with and without
activation checkpointing. ``tools/analysis_tools/gpu_check.py`` (``make
gpu-check``) is the command line; it writes one JSON file, which
``docs/benchmark_tables.py`` renders for the docs.
"""
import datetime
import time
from functools import partial
from typing import Callable, Dict, List, NamedTuple, Optional

import torch

from ..utils import accelerator
from .benchmark import (BenchmarkSpec, ThroughputBenchmark, Variant,
                        classifier_cfg_from_arch, measure_peak_memory,
                        select_variants)

__all__ = ['ARCHS', 'GpuTask', 'plan_gpu_check', 'run_gpu_check',
           'gpu_unavailable']

#: The archs measured: (name, arch, patch size).
ARCHS = (('tiny-p16', 'tiny', 16), ('small-p16', 'small', 16))
#: The training and inference batch.
BATCH_SIZE = 64


class GpuTask(NamedTuple):
    """One section of the check: a name and what it runs (a callable that
    returns a JSON-able dict)."""
    name: str
    run: Callable[[], dict]


def gpu_unavailable() -> Optional[str]:
    """Why the check cannot run here, in one line, or None."""
    kind = accelerator.accelerator_kind()
    if kind is None:
        return ('gpu-check needs a CUDA GPU, and this machine has none '
                '(torch.cuda.is_available() is False)')
    if kind != 'cuda':
        return (f'gpu-check measures CUDA GPUs; this machine\'s accelerator '
                f'is {kind}')
    return None


def _throughput(arch: str, patch: int, mode: str,
                compile: bool = False) -> dict:
    """Training in fp16 and bf16 AMP against mmpretrain's model, or
    inference of every peer and our fast path in fp16."""
    variants = [Variant(impl, dtype, True) for dtype in ('fp16', 'bf16')
                for impl in ('mmconformer', 'mmpretrain')] \
        if mode == 'train' else select_variants(sweep=True, device='cuda') + \
        [Variant('mmconformer', 'fp16', True, 'fast')]
    spec = _spec(arch, patch, variants, (mode, ), compile)
    spec.measure_memory = False
    return ThroughputBenchmark(spec).run()


def _spec(arch: str, patch: int, variants: List[Variant], modes,
          compile: bool = False) -> BenchmarkSpec:
    return BenchmarkSpec(
        model_cfg=classifier_cfg_from_arch(arch, patch), variants=variants,
        batch_size=BATCH_SIZE, device='cuda', modes=modes, compile=compile,
        warmup=3, repeats=10)


def _memory(arch: str, patch: int) -> dict:
    rows = {}
    for with_cp in (False, True):
        spec = _spec(arch, patch, [], ('train', ))
        spec.model_cfg['backbone']['with_cp'] = with_cp
        rows['with_cp' if with_cp else 'plain'] = measure_peak_memory(
            spec, 'train', Variant('mmconformer', 'fp16', True)) / 2**20
    return dict(arch=arch, batch_size=BATCH_SIZE, dtype='fp16',
                peak_memory_mib=rows)


def plan_gpu_check(run_tests: Callable[[], dict]) -> List[GpuTask]:
    """The sections, most important first (a run that meets its time budget
    skips the rest): the tests (``run_tests``: the command line runs the
    GPU-marked tests in a subprocess), eager training, inference, memory,
    then compiled training, which spends most of its time compiling."""
    return [GpuTask('tests', run_tests)] + [
        GpuTask(f'{mode}/{name}', partial(_throughput, arch, patch, mode))
        for mode in ('train', 'infer') for name, arch, patch in ARCHS
    ] + [GpuTask('memory/small-p16', partial(_memory, 'small', 16))] + [
        GpuTask(f'train-compiled/{name}',
                partial(_throughput, arch, patch, 'train', True))
        for name, arch, patch in ARCHS
    ]


def run_gpu_check(command: str,
                  tasks: List[GpuTask],
                  budget_s: float = 300.0,
                  log: Callable[[str], None] = lambda message: None,
                  clock: Callable[[], float] = time.monotonic) -> Dict:
    """Run ``tasks`` (:func:`plan_gpu_check`) until ``budget_s``
    seconds have passed; the sections left are recorded as skipped, and a
    section that fails records its error and the run goes on.

    Returns:
        dict: ``kind: 'gpu_check'``, the GPU, versions, date, command,
        ``budget_s``, ``seconds`` and ``sections`` (name -> its result, or
        ``{'skipped': reason}`` / ``{'error': message}``).
    """
    start = clock()
    sections: Dict[str, dict] = {}
    for task in tasks:
        elapsed = clock() - start
        if elapsed > budget_s:
            sections[task.name] = dict(
                skipped=f'the {budget_s:.0f} s budget was spent '
                f'({elapsed:.0f} s)')
            continue
        log(f'{task.name} ({elapsed:.0f} s so far)')
        try:
            sections[task.name] = task.run()
        except Exception as err:  # a section's failure is a finding
            sections[task.name] = dict(
                error=f'{type(err).__name__}: {str(err).strip()[:300]}')
    return dict(
        kind='gpu_check',
        gpu=torch.cuda.get_device_name()
        if accelerator.accelerator_kind() == 'cuda' else None,
        torch=torch.__version__, cuda=torch.version.cuda,
        date=datetime.date.today().isoformat(), command=command,
        budget_s=budget_s, seconds=clock() - start, sections=sections)
