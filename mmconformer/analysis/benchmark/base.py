# Copyright (c) mmconformer contributors. All rights reserved.
"""The benchmark family: one model pair, many variants, side by side."""
import copy
import random
import time
from typing import (Callable, Dict, Hashable, Iterator, List, Optional,
                    Sequence, Tuple)

import numpy as np
import torch

from ...utils import cpu_features, has_native_bf16, isa_cap
from ..complexity import get_complexity
from .memory import measure_peak_memory
from .peak import gemm_peak
from .report import speed_ratios
from .steps import BenchmarkSpec, prepare_steps, sample_batch
from .variants import Variant, build_models

__all__ = ['BaseBenchmark', 'LatencyBenchmark', 'ThroughputBenchmark']


class BaseBenchmark:
    """What every benchmark shares: the models its variants need, built from
    one config with the same weights (mmpretrain's only when a variant runs
    it), and the one timing loop. Subclasses implement :meth:`run`.

    Args:
        spec (BenchmarkSpec): What to measure.
        log (Callable[[str], None], optional): Receives progress lines.
            Defaults to None (silent).
    """

    def __init__(self, spec: BenchmarkSpec,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.spec = spec
        self.log = log or (lambda message: None)
        if isa_cap() and spec.device == 'cpu':
            self.log(f'instructions capped to {isa_cap()} (flags left: '
                     f'{", ".join(cpu_features()) or "none reported"}); a '
                     'sweep leaves out onnxruntime, whose kernels no '
                     'variable caps' + ('' if has_native_bf16() else
                                        ', and bf16, which the cap lacks'))
        self.models = build_models(spec.model_cfg,
                                   {v.impl for v in spec.variants})

    def run(self) -> dict:
        raise NotImplementedError

    def run_once(self,
                 steps: Dict[Hashable, Callable]) -> Dict[Hashable, float]:
        """One call of each step, in seconds (the device synchronised)."""
        sync = torch.cuda.synchronize if self.spec.device.startswith(
            'cuda') else (lambda: None)
        seconds = {}
        for key, step in steps.items():
            sync()
            start = time.perf_counter()
            step()
            sync()
            seconds[key] = time.perf_counter() - start
        return seconds

    def time_steps(self, steps: Dict[Hashable, Callable]) -> Dict[str, dict]:
        """The first call of each step on its own (with compiling, what it
        costs to start), ``spec.warmup`` untimed rounds, then
        ``spec.repeats`` timed ones, every step once per round, so that slow
        drifts of the machine hit every step alike. Each timed round runs
        the steps in a new order (seeded, the same in every run): a step
        can leave a cost to the one after it (the allocator's state, busy
        threads), and in a fixed order the same row would pay it in every
        round.

        Returns:
            dict: ``first`` (seconds per key) and ``times`` (the timed
            seconds per key, in order).
        """
        first = self.run_once(steps)
        for _ in range(self.spec.warmup):
            self.run_once(steps)
        shuffle, keys = random.Random(0).shuffle, list(steps)
        rounds = []
        for _ in range(self.spec.repeats):
            shuffle(keys)
            rounds.append(self.run_once({k: steps[k] for k in keys}))
        return dict(first=first,
                    times={k: [r[k] for r in rounds] for k in steps})

    def timed_rows(self, modes: Sequence[str]
                   ) -> Iterator[Tuple[Variant, List[float], dict]]:
        """:meth:`time_steps` of every variant, mode by mode: ``(variant,
        timed seconds, row)``, the row holding what every report gives
        (impl, setting, mode, batch, size, dtype, runtime, device, the
        first call's seconds)."""
        spec = self.spec
        steps = prepare_steps(spec, self.models, spec.variants, modes)
        for mode in modes:
            subset = {v: s for (m, v), s in steps.items() if m == mode}
            self.log(f'timing {mode}: {len(subset)} variants')
            timed = self.time_steps(subset)
            for v in subset:
                yield v, timed['times'][v], dict(
                    impl=v.impl, setting=v.setting, mode=mode,
                    batch_size=spec.batch_size,
                    input_size=list(spec.input_size), dtype=v.dtype,
                    runtime=v.runtime, device=spec.device,
                    first_step_s=timed['first'][v])


class ThroughputBenchmark(BaseBenchmark):
    """Images per second of every (mode, variant), interleaved: the median
    of the timed rounds, and the first call on its own. Each row also gives
    the achieved GFLOP/s (the FLOPs each implementation executes, attention
    matmuls included; training counts 3x the forward's), the peak of the
    model's own GEMMs in its dtype (:func:`~.peak.gemm_peak`) and the
    fraction of it, and for eager rows the peak memory.

    Args:
        spec (BenchmarkSpec): What to measure.
        measure_memory (bool): Measure the peak memory of eager rows (a
            spawned process per row on CPU). Defaults to True.
        log (Callable[[str], None], optional): Receives progress lines.
    """

    def __init__(self, spec: BenchmarkSpec, measure_memory: bool = True,
                 log: Optional[Callable[[str], None]] = None) -> None:
        super().__init__(spec, log)
        self.measure_memory = measure_memory

    def run(self) -> dict:
        """Returns:
            dict: ``results`` (a row per mode and variant), ``ratios``
            (:func:`~.report.speed_ratios`) and ``peaks`` (per dtype).
        """
        spec = self.spec
        ours = self.models['mmconformer']
        counted = get_complexity(copy.deepcopy(ours), (3, *spec.input_size))
        # ours pools before FCUDown's conv; mmpretrain runs the official order
        flops = dict(mmconformer=2 * (counted['executed_flops'] +
                                      counted['attention_flops']),
                     mmpretrain=2 * counted['total_flops'])
        sample = sample_batch(spec, 1)[0]
        peaks = {}
        for dtype in sorted({v.dtype for v in spec.variants}):
            self.log(f'measuring the GEMM peak ({dtype})')
            peaks[dtype] = gemm_peak(ours.to(spec.device), sample, dtype,
                                     spec.device)
        results = []
        for variant, times, row in self.timed_rows(spec.modes):
            seconds = float(np.median(times))
            work = flops[variant.impl] * (1 if row['mode'] == 'infer' else 3)
            rate = work * spec.batch_size / seconds / 1e9
            peak = peaks[variant.dtype]['gflops_per_s']
            row.update(img_per_s=spec.batch_size / seconds, median_s=seconds,
                       gflops_per_s=rate, peak_gflops_per_s=peak,
                       fraction_of_peak=rate / peak,
                       channels_last=variant.channels_last,
                       compile=spec.compile or variant.runtime != 'eager')
            # compiling again in the probe's process would cost minutes per
            # row: peak memory is for eager rows
            if self.measure_memory and variant.runtime == 'eager':
                self.log(f'peak memory: {row["mode"]} {variant.label}')
                row['peak_memory_mib'] = measure_peak_memory(
                    spec, row['mode'], variant) / 2**20
            results.append(row)
        return dict(results=results, peaks=peaks,
                    ratios=speed_ratios(results, spec.baseline))


class LatencyBenchmark(BaseBenchmark):
    """Milliseconds per image at batch 1, as a service classifies one image
    at a time: every inference variant, interleaved; each row gives the
    median (p50), the 90th percentile (p90) and the first call on its own.

    Args:
        spec (BenchmarkSpec): What to measure; batch 1, modes ``('infer',
            )``.
        log (Callable[[str], None], optional): Receives progress lines.
    """

    def __init__(self, spec: BenchmarkSpec,
                 log: Optional[Callable[[str], None]] = None) -> None:
        if spec.batch_size != 1 or tuple(spec.modes) != ('infer', ):
            raise ValueError(f'latency is measured at batch 1 in inference, '
                             f'got batch {spec.batch_size}, modes '
                             f'{tuple(spec.modes)}')
        super().__init__(spec, log)

    def run(self) -> dict:
        """Returns:
            dict: ``results`` (a row per variant: ``p50_ms``, ``p90_ms``,
            ``first_step_s``) and ``ratios`` (the baseline's p50 over each
            row's).
        """
        results = []
        for _, times, row in self.timed_rows(('infer', )):
            p50, p90 = np.percentile(1000 * np.asarray(times), (50, 90))
            results.append(dict(row, mode='latency', p50_ms=float(p50),
                                p90_ms=float(p90)))
        return dict(results=results,
                    ratios=speed_ratios(results, self.spec.baseline))
