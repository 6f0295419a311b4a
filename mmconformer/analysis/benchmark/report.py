# Copyright (c) mmconformer contributors. All rights reserved.
"""What a benchmark reports besides its rows: each row's speed over one
baseline row, the terminal's text table, and the JSON's provenance
(``mmconformer.visualization.plot_benchmark`` draws the rows)."""
from dataclasses import asdict
from typing import List, Optional

from ...utils import provenance
from .steps import BenchmarkSpec

__all__ = ['default_baseline', 'format_report', 'report_meta',
           'speed_ratios']


def _label(row: dict) -> str:
    return f'{row["impl"]} {row["setting"]}'


def _speed(row: dict) -> float:
    """Images per second, or calls per second for a latency row."""
    return row['img_per_s'] if 'img_per_s' in row else 1000 / row['p50_ms']


def default_baseline(results: List[dict]) -> str:
    """What the rows are compared with unless a baseline is named:
    mmpretrain's fp32 eager model (what its users run by default) if it was
    timed, else the first mmpretrain row, else the first row."""
    labels = [_label(r) for r in results]
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
    bases = {r['mode']: r for r in results if _label(r) == baseline}
    return [dict(mode=r['mode'], numerator=_label(r), denominator=baseline,
                 ratio=_speed(r) / _speed(bases[r['mode']]))
            for r in results
            if r['mode'] in bases and _label(r) != baseline]


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
        ratio = ratios.get((r['mode'], _label(r)))
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


def report_meta(spec: BenchmarkSpec, command: str) -> dict:
    """What the JSON records besides the rows: machine, versions, date,
    command (:func:`~mmconformer.utils.provenance`) and the spec."""
    return dict(provenance(command, spec.device),
                spec=dict(asdict(spec),
                          variants=[v._asdict() for v in spec.variants]))
