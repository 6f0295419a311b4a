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


def _spec(arch: str, patch: int, variants: List[Variant], modes,
          compile: bool = False, **kwargs) -> BenchmarkSpec:
    return BenchmarkSpec(
        model_cfg=classifier_cfg_from_arch(arch, patch), variants=variants,
        batch_size=BATCH_SIZE, device='cuda', modes=modes, compile=compile,
        warmup=3, repeats=10, **kwargs)


def _train_variants() -> List[Variant]:
    return [Variant(impl, dtype, True) for dtype in ('fp16', 'bf16')
            for impl in ('mmconformer', 'mmpretrain')]


def _infer_variants() -> List[Variant]:
    return select_variants(sweep=True, device='cuda') + [
        Variant('mmconformer', 'fp16', True, 'fast')]


def _memory(arch: str, patch: int) -> dict:
    rows = {}
    for with_cp in (False, True):
        spec = _spec(arch, patch, [], ('train', ))
        spec.model_cfg['backbone']['with_cp'] = with_cp
        variant = Variant('mmconformer', 'fp16', True)
        rows['with_cp' if with_cp else 'plain'] = measure_peak_memory(
            spec, 'train', variant) / 2**20
    return dict(arch=arch, batch_size=BATCH_SIZE, dtype='fp16',
                peak_memory_mib=rows)


def plan_gpu_check(run_tests: Callable[[], dict]) -> List[GpuTask]:
    """The sections, most important first (a run that meets its time budget
    skips the rest): the tests (``run_tests``: the command line runs the
    GPU-marked tests in a subprocess), eager training, inference, memory,
    then compiled training, which spends most of its time compiling."""
    tasks = [GpuTask('tests', run_tests)]
    for name, arch, patch in ARCHS:
        tasks.append(GpuTask(
            f'train/{name}', lambda a=arch, p=patch: ThroughputBenchmark(
                _spec(a, p, _train_variants(), ('train', )),
                measure_memory=False).run()))
    for name, arch, patch in ARCHS:
        tasks.append(GpuTask(
            f'infer/{name}', lambda a=arch, p=patch: ThroughputBenchmark(
                _spec(a, p, _infer_variants(), ('infer', )),
                measure_memory=False).run()))
    tasks.append(GpuTask('memory/small-p16',
                         lambda: _memory('small', 16)))
    for name, arch, patch in ARCHS:
        tasks.append(GpuTask(
            f'train-compiled/{name}',
            lambda a=arch, p=patch: ThroughputBenchmark(
                _spec(a, p, _train_variants(), ('train', ), compile=True),
                measure_memory=False).run()))
    return tasks


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
