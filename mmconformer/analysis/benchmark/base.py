# Copyright (c) mmconformer contributors. All rights reserved.
"""The benchmark family: one model pair, many variants, side by side."""
import copy
import statistics
from typing import Callable, Dict, List, Optional

import torch

from ..complexity import get_complexity
from .memory import measure_peak_memory
from .peak import gemm_peak
from .steps import BenchmarkSpec, prepare_steps, sample_batch
from .timing import time_interleaved
from .variants import build_pair

__all__ = [
    'BaseBenchmark', 'Int8ProfileBenchmark', 'LatencyBenchmark',
    'ThroughputBenchmark', 'percentile'
]


class BaseBenchmark:
    """What every benchmark shares: our classifier and mmpretrain's built
    from one config with the same weights, the FLOPs each implementation
    executes per image, and the machine's GEMM peak per dtype.

    Subclasses implement :meth:`run`.

    Args:
        spec (BenchmarkSpec): What to measure.
        log (Callable[[str], None], optional): Receives progress lines.
            Defaults to None (silent).
    """

    def __init__(self, spec: BenchmarkSpec,
                 log: Optional[Callable[[str], None]] = None) -> None:
        self.spec = spec
        self.log = log or (lambda message: None)
        self.models = build_pair(spec.model_cfg)

    def run(self) -> dict:
        raise NotImplementedError

    def flops_per_image(self) -> Dict[str, float]:
        """The FLOPs (2 x multiply-accumulates) of one forward pass per
        image, as each implementation executes it, attention matmuls
        included: ours pools before FCUDown's conv, mmpretrain's runs the
        official order."""
        h, w = self.spec.input_size
        complexity = get_complexity(copy.deepcopy(self.models['mmconformer']),
                                    (3, h, w))
        return {
            'mmconformer': 2 * (complexity['executed_flops'] +
                                complexity['attention_flops']),
            'mmpretrain': 2 * complexity['total_flops'],
        }

    def gemm_peaks(self, dtypes: List[str]) -> Dict[str, dict]:
        """:func:`gemm_peak` of our model for each dtype."""
        spec = self.spec
        sample = torch.randn(spec.batch_size, 3, *spec.input_size).to(
            spec.device)
        peaks = {}
        for dtype in sorted(set(dtypes)):
            self.log(f'measuring the GEMM peak ({dtype})')
            peaks[dtype] = gemm_peak(
                self.models['mmconformer'].to(spec.device), sample, dtype,
                spec.device)
        return peaks


class ThroughputBenchmark(BaseBenchmark):
    """Images per second of every (mode, variant) of the spec, interleaved,
    the median of ``spec.repeats`` timed rounds after ``spec.warmup``; the
    first call is timed on its own (with compiling, it includes the
    compile). Each row also gives the achieved GFLOP/s (training counts 3x
    the forward FLOPs), the GEMM peak of its dtype and the fraction of it,
    and, for eager rows when asked, the peak memory.

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
            dict: ``results`` (one row per mode and variant), ``ratios``
            (:func:`~mmconformer.analysis.benchmark.speed_ratios`) and
            ``peaks`` (per dtype, with the op that reached it).
        """
        from .report import speed_ratios
        spec = self.spec
        flops = self.flops_per_image()
        peaks = self.gemm_peaks([v.dtype for v in spec.variants])
        steps = prepare_steps(spec, self.models, spec.variants, spec.modes)
        results = []
        for mode in spec.modes:
            subset = {v: s for (m, v), s in steps.items() if m == mode}
            self.log(f'timing {mode}: {len(subset)} variants')
            first = time_interleaved(subset, spec.device, 0, 1)
            times = time_interleaved(subset, spec.device, spec.warmup,
                                     spec.repeats)
            for variant in spec.variants:
                if variant not in subset:
                    continue
                results.append(
                    self._row(mode, variant, statistics.median(
                        times[variant]), first[variant][0], flops, peaks))
        return dict(results=results, ratios=speed_ratios(results),
                    peaks=peaks)

    def _row(self, mode, variant, seconds, first, flops, peaks) -> dict:
        spec = self.spec
        work = flops[variant.impl] * (1 if mode == 'infer' else 3)
        rate = work * spec.batch_size / seconds / 1e9
        peak = peaks[variant.dtype]['gflops_per_s']
        row = dict(
            impl=variant.impl, setting=variant.setting, mode=mode,
            batch_size=spec.batch_size, input_size=list(spec.input_size),
            dtype=variant.dtype, channels_last=variant.channels_last,
            runtime=variant.runtime,
            compile=spec.compile or variant.runtime in ('compiled', 'fast'),
            device=spec.device, img_per_s=spec.batch_size / seconds,
            median_s=seconds, first_step_s=first, gflops_per_s=rate,
            peak_gflops_per_s=peak, fraction_of_peak=rate / peak)
        # Compiling or exporting again in the probe's process would cost
        # minutes per row: peak memory is for eager rows.
        if self.measure_memory and variant.runtime == 'eager':
            self.log(f'peak memory: {mode} {variant.label}')
            row['peak_memory_mib'] = measure_peak_memory(
                spec, mode, variant) / 2**20
        return row


class LatencyBenchmark(BaseBenchmark):
    """Milliseconds per image at batch 1, the way a service classifies one
    image at a time: every inference variant of the spec runs single
    images, interleaved, ``spec.repeats`` timed calls each after
    ``spec.warmup``; each row gives the median (p50) and the 90th
    percentile (p90), and the first call on its own (with compiling or
    exporting, what it costs to start).

    Args:
        spec (BenchmarkSpec): What to measure; its ``batch_size`` must be 1
            and its modes ``('infer', )``.
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
            dict: ``results``, one row per variant with ``p50_ms``,
            ``p90_ms`` and ``first_step_s``.
        """
        spec = self.spec
        steps = prepare_steps(spec, self.models, spec.variants, ('infer', ))
        subset = {v: s for (_, v), s in steps.items()}
        self.log(f'timing batch-1 latency: {len(subset)} variants')
        first = time_interleaved(subset, spec.device, 0, 1)
        times = time_interleaved(subset, spec.device, spec.warmup,
                                 spec.repeats)
        results = []
        for variant in spec.variants:
            ms = sorted(1000 * t for t in times[variant])
            results.append(dict(
                impl=variant.impl, setting=variant.setting, mode='latency',
                batch_size=1, input_size=list(spec.input_size),
                dtype=variant.dtype, runtime=variant.runtime,
                device=spec.device, p50_ms=percentile(ms, 50),
                p90_ms=percentile(ms, 90), first_step_s=first[variant][0]))
        return dict(results=results)


class Int8ProfileBenchmark(BaseBenchmark):
    """Where our int8 fast path spends its time on the benchmark's batch:
    :func:`~.int8_profile.profile_int8`, calibrated on that batch as the
    int8 rows of :class:`ThroughputBenchmark` are. CPU only.

    Args:
        spec (BenchmarkSpec): What to profile (its variants are ignored;
            ``repeats`` forwards are profiled).
        log (Callable[[str], None], optional): Receives progress lines.
    """

    def __init__(self, spec: BenchmarkSpec,
                 log: Optional[Callable[[str], None]] = None) -> None:
        if spec.device != 'cpu':
            raise ValueError(f'int8 runs on x86 CPUs; got --device '
                             f'{spec.device}')
        super().__init__(spec, log)

    def run(self) -> dict:
        """Returns:
            dict: ``kind: 'int8_profile'`` and what
            :func:`~.int8_profile.profile_int8` returns.
        """
        from .int8_profile import profile_int8
        model = self.models['mmconformer']
        inputs, _ = sample_batch(self.spec, model.head.num_classes)
        self.log('profiling the int8 fast path (the first forward '
                 'compiles)')
        return dict(kind='int8_profile', **profile_int8(
            model, inputs, [inputs], repeats=self.spec.repeats))


def percentile(values: List[float], q: float) -> float:
    """The ``q``-th percentile of sorted ``values``, linearly interpolated
    (numpy's default)."""
    position = (len(values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)
