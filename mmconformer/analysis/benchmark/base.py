# Copyright (c) mmconformer contributors. All rights reserved.
"""The benchmark family: one model pair, many variants, timed side by side,
each row's speed over one baseline row's."""
import copy
import random
from typing import Callable, Dict, Hashable, List, Optional, Sequence

import numpy as np

from ...utils import cpu_features, has_native_bf16, isa_cap
from ..complexity import get_complexity
from ..gemm_peak import gemm_peak, timed_call
from .steps import measure_peak_memory, prepare_steps, sample_batch
from .variants import BenchmarkSpec, build_models


def row_label(row: dict) -> str:
    """``'<impl> <setting>'``, as reports name a row."""
    return f'{row["impl"]} {row["setting"]}'


def default_baseline(results: List[dict]) -> str:
    """What the rows are compared with unless a baseline is named:
    mmpretrain's fp32 eager model (what its users run by default) if it was
    timed, else the first mmpretrain row, else the first row."""
    labels = [row_label(r) for r in results]
    if 'mmpretrain fp32' in labels:
        return 'mmpretrain fp32'
    return next((label for label in labels if label.startswith('mmpretrain')),
                labels[0])


def speed_ratios(results: List[dict],
                 baseline: Optional[str] = None) -> List[dict]:
    """Each row's speed over the baseline row's of the same mode (img/s over
    img/s; for latency rows the baseline's p50 over the row's).

    Args:
        results (list[dict]): The rows of a report.
        baseline (str, optional): The baseline row's label, ``'<impl>
            <setting>'``. Defaults to None (:func:`default_baseline`).

    Returns:
        list[dict]: ``mode``, ``numerator``, ``denominator`` and ``ratio``
        of every row but the baseline's, in the order of ``results``.
    """
    baseline = baseline or default_baseline(results)
    bases = {r['mode']: r for r in results if row_label(r) == baseline}

    def speed(row):
        return row.get('img_per_s') or 1000 / row['p50_ms']

    return [dict(mode=r['mode'], numerator=row_label(r), denominator=baseline,
                 ratio=speed(r) / speed(bases[r['mode']])) for r in results
            if r['mode'] in bases and row_label(r) != baseline]


def format_report(report: dict) -> str:
    """A JSON report as the terminal shows it: a row per line with its
    ratio, then the machine and its GEMM peaks."""
    ratios = {(r['mode'], r['numerator']): r['ratio']
              for r in report['ratios']}
    columns = dict(p50_ms='p50 ms', p90_ms='p90 ms') \
        if 'p50_ms' in report['results'][0] else dict(
            img_per_s='img/s', gflops_per_s='GFLOP/s',
            fraction_of_peak='of peak', peak_memory_mib='peak MiB')
    columns.update(first_step_s='1st call s', ratio='ratio')
    lines = [f'{"impl":<12} {"setting":<16} {"mode":<8}' +
             ''.join(f'{c:>11}' for c in columns.values())]
    for r in report['results']:
        ratio = ratios.get((r['mode'], row_label(r)))
        peak = 100 * r.get('fraction_of_peak', 0)
        cells = dict(r, fraction_of_peak=f'{peak:.1f}%',
                     ratio='' if ratio is None else f'{ratio:.2f}x')
        lines.append(f'{r["impl"]:<12} {r["setting"]:<16} {r["mode"]:<8}' +
                     ''.join(f'{c:>11.1f}' if isinstance(c, float) else
                             f'{c:>11}' for c in (cells.get(k, '')
                                                  for k in columns)))
    if report['ratios']:
        lines.append(f'ratio: speed over {report["ratios"][0]["denominator"]}')
    return '\n'.join(lines + [f'Machine: {report["machine"]}' + ''.join(
        f'; {dtype} GEMM peak {peak["gflops_per_s"]:.0f} GFLOP/s'
        for dtype, peak in report.get('peaks', {}).items())])


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

    def run_once(self, steps: Dict[Hashable, Callable]) -> Dict[Hashable,
                                                                float]:
        """One call of each step, in seconds (the device synchronised)."""
        return {key: timed_call(step, self.spec.device)
                for key, step in steps.items()}

    def time_steps(self, steps: Dict[Hashable, Callable]) -> Dict[str, dict]:
        """The first call of each step alone (what it costs to start), then
        ``spec.warmup`` untimed and ``spec.repeats`` timed rounds of every
        step, so that the machine's drifts hit all alike; each timed round
        in a new, seeded order, since a step can leave a cost to the next.

        Returns:
            dict: ``first`` (seconds per key), ``times`` (list per key).
        """
        first = self.run_once(steps)
        for _ in range(self.spec.warmup):
            self.run_once(steps)
        shuffle, keys, rounds = random.Random(0).shuffle, list(steps), []
        for _ in range(self.spec.repeats):
            shuffle(keys)
            rounds.append(self.run_once({k: steps[k] for k in keys}))
        return dict(first=first,
                    times={k: [r[k] for r in rounds] for k in steps})

    def timed_rows(self, modes: Sequence[str]):
        """Yields ``(variant, timed seconds, row)`` per mode and variant,
        the row holding what every report gives."""
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
    """Images per second of every (mode, variant), the median of the timed
    rounds, with the achieved GFLOP/s (of the FLOPs each implementation
    executes, attention included; training counts 3x the forward's), its
    fraction of :func:`~mmconformer.analysis.gemm_peak` in the dtype, and,
    unless ``spec.measure_memory`` is False, each eager row's peak memory.
    """

    def run(self) -> dict:
        """Returns:
            dict: ``results`` (a row per mode and variant), ``ratios``
            (:func:`speed_ratios`) and ``peaks`` (per dtype).
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
            if spec.measure_memory and variant.runtime == 'eager':
                self.log(f'peak memory: {row["mode"]} {variant.label}')
                row['peak_memory_mib'] = measure_peak_memory(
                    spec, row['mode'], variant) / 2**20
            results.append(row)
        return dict(results=results, peaks=peaks,
                    ratios=speed_ratios(results, spec.baseline))


class LatencyBenchmark(BaseBenchmark):
    """Milliseconds per call of every inference variant, at the spec's batch
    (1 from ``build_spec(latency=True)``, as a service classifies one image
    at a time): the median (p50), the 90th percentile (p90) and the first
    call on its own."""

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
