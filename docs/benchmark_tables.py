#!/usr/bin/env python
# Copyright (c) mmconformer contributors. All rights reserved.
"""The generated tables of docs/en/benchmarks.md, from the JSON reports.

A block between ``<!-- benchmark-table: docs/benchmarks/X.json -->`` and
``<!-- end benchmark-table -->`` is the Markdown of that JSON report (a
throughput or latency benchmark, an int8 profile, a GPU check, or a
fast-path numerics run). Regenerate every block of a document in place::

    python docs/benchmark_tables.py docs/en/benchmarks.md

or print the blocks of reports, to paste into a document::

    python docs/benchmark_tables.py --print docs/benchmarks/X.json

The docs test checks that the blocks are what this script makes.
"""
import argparse
import json
import os.path as osp
import re
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmconformer.analysis.benchmark import (default_baseline, row_label,
                                            speed_ratios)
from mmconformer.utils import atomic_write

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _flags_line(report: dict) -> str:
    flags = report.get('cpu_features') or []
    named = [('AMX', 'amx_tile' in flags),
             ('AVX512-BF16', 'avx512_bf16' in flags),
             ('AVX512-VNNI', 'avx512_vnni' in flags),
             ('AVX-VNNI', 'avx_vnni' in flags)]
    return ', '.join(f'{name} {"yes" if has else "no"}'
                     for name, has in named)


def _header(report: dict) -> List[str]:
    lines = [f'Machine: {report["machine"]}; {_flags_line(report)}; '
             f'torch {report["torch"]}; {report["date"]}.']
    peaks = report.get('peaks') or {}
    if peaks:
        lines.append('GEMM peak (the best of the model\'s own GEMMs): ' +
                     ', '.join(f'{dtype} {peak["gflops_per_s"]:.0f} GFLOP/s'
                               for dtype, peak in sorted(peaks.items())) +
                     '.')
    lines.append(f'Command: `{report["command"]}`')
    return lines


def _ratio_cells(results: List[dict],
                 spec: dict) -> Tuple[List[str], str]:
    """Each row's ratio over the report's baseline (its spec's, else the
    default one): ``baseline`` for the baseline's own rows, nothing in a
    mode without a baseline row."""
    baseline = spec.get('baseline') or default_baseline(results)
    ratios = {(r['mode'], r['numerator']): f'{r["ratio"]:.2f}x'
              for r in speed_ratios(results, baseline)}
    return [ratios.get((r['mode'], row_label(r)),
                       'baseline' if row_label(r) == baseline else '')
            for r in results], baseline


def _against_openvino(results: List[dict], latency: bool) -> List[str]:
    """A line comparing our best PyTorch row (eager or fast path) with
    OpenVINO's best, where the report has OpenVINO rows."""
    key = 'p50_ms' if latency else 'img_per_s'
    best = min if latency else max
    ours = [r for r in results if r['impl'] == 'mmconformer' and
            r['runtime'] in ('eager', 'fast') and r['mode'] != 'train']
    openvino = [r for r in results if r['runtime'] == 'openvino']
    if not ours or not openvino:
        return []
    a = best(ours, key=lambda r: r[key])
    b = best(openvino, key=lambda r: r[key])
    unit, what = ('ms', 'lowest p50') if latency else ('img/s', 'best')
    return ['', f'Against OpenVINO: our {what} ({a["setting"]}, '
            f'{a[key]:.1f} {unit}) over OpenVINO\'s {what} ({b["setting"]}, '
            f'{b[key]:.1f} {unit}): {a[key] / b[key]:.2f}x.']


def _throughput_markdown(report: dict, header: bool = True) -> List[str]:
    results = report['results']
    spec = report.get('spec') or {}
    lines = _header(report) if header else []
    rounds = f', median of {spec["repeats"]} timed rounds' \
        if 'repeats' in spec else ''
    lines.append(f'Batch {spec.get("batch_size", results[0]["batch_size"])}'
                 f', {results[0]["input_size"][0]}x'
                 f'{results[0]["input_size"][1]}{rounds}.')
    memory = any('peak_memory_mib' in r for r in results)
    compiled = any(r['compile'] for r in results)
    ratios, baseline = _ratio_cells(results, spec)
    head = ['Row', 'mode', 'img/s', 'GFLOP/s', 'of peak'] + \
        (['peak MiB'] if memory else []) + \
        (['1st call s'] if compiled else []) + [f'x {baseline}']
    lines += ['', '| ' + ' | '.join(head) + ' |',
              '|' + '---|' * len(head)]
    for r, ratio in zip(results, ratios):
        cells = [row_label(r), r['mode'], f'{r["img_per_s"]:.2f}',
                 f'{r["gflops_per_s"]:.0f}',
                 f'{100 * r["fraction_of_peak"]:.0f}%']
        if memory:
            mem = r.get('peak_memory_mib')
            cells.append('' if mem is None else f'{mem:,.0f}')
        if compiled:
            cells.append(f'{r["first_step_s"]:.1f}')
        lines.append('| ' + ' | '.join(cells + [ratio]) + ' |')
    lines += ['', f'Last column: img/s over {baseline}\'s, in the same '
              'mode.'] + _against_openvino(results, latency=False)
    return lines


def _latency_markdown(report: dict) -> List[str]:
    results = report['results']
    spec = report.get('spec') or {}
    best = min(results, key=lambda r: r['p50_ms'])
    ratios, baseline = _ratio_cells(results, spec)
    rounds = f', {spec["repeats"]} timed calls per row' \
        if 'repeats' in spec else ''
    lines = _header(report) + [
        f'Batch 1, {results[0]["input_size"][0]}x'
        f'{results[0]["input_size"][1]}{rounds}, interleaved.', '',
        f'| Row | p50 ms | p90 ms | first call s | x {baseline} |',
        '|---|---|---|---|---|'
    ]
    for r, ratio in zip(results, ratios):
        mark = '**' if r is best else ''
        lines.append(f'| {mark}{row_label(r)}{mark} | {r["p50_ms"]:.1f} | '
                     f'{r["p90_ms"]:.1f} | {r["first_step_s"]:.1f} | '
                     f'{ratio} |')
    lines += ['', f'Lowest p50: {row_label(best)}. Last column: {baseline}\'s '
              'p50 over the row\'s.'] + _against_openvino(results,
                                                          latency=True)
    return lines


def _gpu_check_markdown(report: dict) -> List[str]:
    lines = [f'GPU: {report["gpu"]}; torch {report["torch"]}, CUDA '
             f'{report["cuda"]}; {report["date"]}; {report["seconds"]:.0f} s '
             f'of a {report["budget_s"]:.0f} s budget.',
             f'Command: `{report["command"]}`']
    for name, section in report['sections'].items():
        lines += ['', f'**{name}**', '']
        if 'skipped' in section or 'error' in section:
            why = section.get('skipped') or section['error']
            lines.append(f'Not measured: {why}')
        elif 'summary' in section:
            lines.append(f'`{section["command"]}`: {section["summary"]} '
                         f'(exit status {section["exit_status"]}).')
        elif 'peak_memory_mib' in section:
            mem = section['peak_memory_mib']
            lines.append(f'{section["arch"]}, {section["dtype"]} training, '
                         f'batch {section["batch_size"]}: peak '
                         f'{mem["plain"]:,.0f} MiB, with `with_cp` '
                         f'{mem["with_cp"]:,.0f} MiB '
                         f'({mem["with_cp"] / mem["plain"] - 1:+.0%}).')
        else:
            lines += _throughput_markdown(section, header=False)
    return lines


def _numerics_markdown(report: dict) -> List[str]:
    lines = _header(report) if 'machine' in report else []
    lines += [f'`{report["config"]}`, `{report["checkpoint"]}`, dtype '
              f'{report["dtype"]}, {report["images"]} images.', '',
              '| Figure | value |', '|---|---|',
              f'| top-1 agreement with the fp32 eager model | '
              f'{100 * report["top1_agreement"]:.2f}% |',
              f'| largest relative logit difference | '
              f'{report["max_rel_diff"]:.2e} |']
    if 'reference_top1' in report:
        lines += [f'| top-1, fp32 eager | '
                  f'{100 * report["reference_top1"]:.2f}% |',
                  f'| top-1, fast path | '
                  f'{100 * report["candidate_top1"]:.2f}% |']
    return lines


def _int8_profile_markdown(report: dict) -> List[str]:
    census = report['census']
    height, width = report['input_size']
    lines = _header(report) + [
        f'Our int8 fast path, batch {report["batch_size"]}, {height}x'
        f'{width}: {report["ms_per_forward"]:.1f} ms per forward, self CPU '
        'time of each kernel (Inductor\'s C++ wrapper off, kernel '
        'profiling on).', '', '| Kernels | ms per forward | share |',
        '|---|---|---|'
    ]
    lines += [f'| {k["category"]} | {k["ms"]:.1f} | {100 * k["share"]:.1f}% '
              '|' for k in report['kernels']]
    floats = ', '.join(f'{n} {op.replace("_", " ")}'
                       for op, n in census['float'].items() if n)
    lines += ['', f'The quantized graph: {census["int8_conv"]} convolutions '
              f'and {census["int8_linear"]} linear layers with int8 weights '
              f'(per channel); {census["quantize"]} quantize and '
              f'{census["dequantize"]} dequantize nodes on activations; in '
              f'floating point: {floats}.']
    openvino = report.get('openvino')
    if openvino:
        lines += ['', f'OpenVINO, the NNCF int8 IR of the same model on the '
                  f'same batch: {openvino["ms_per_forward"]:.1f} ms per '
                  'forward, its own per-layer counters (PERF_COUNT) summed '
                  'by node type of its CPU plugin.', '',
                  '| Node type | ms per forward | share |', '|---|---|---|']
        lines += [f'| {k["category"]} | {k["ms"]:.1f} | '
                  f'{100 * k["share"]:.1f}% |' for k in openvino['kernels']]
    return lines


def markdown_report(report: dict) -> str:
    """The Markdown the docs show for one JSON report: a throughput or a
    latency benchmark (``results``), an int8 profile or a GPU check
    (``kind``), or a fast-path numerics run (``top1_agreement``).

    Raises:
        ValueError: a JSON of another kind.
    """
    if report.get('kind') == 'gpu_check':
        return '\n'.join(_gpu_check_markdown(report))
    if report.get('kind') == 'int8_profile':
        return '\n'.join(_int8_profile_markdown(report))
    if 'results' in report and 'p50_ms' in report['results'][0]:
        return '\n'.join(_latency_markdown(report))
    if 'results' in report:
        return '\n'.join(_throughput_markdown(report))
    if 'top1_agreement' in report:
        return '\n'.join(_numerics_markdown(report))
    raise ValueError(f'not a benchmark or numerics report (keys: '
                     f'{sorted(report)[:6]})')


#: ``<!-- benchmark-table: docs/benchmarks/X.json -->`` ... the generated
#: Markdown ... ``<!-- end benchmark-table -->``.
GENERATED_TABLE = re.compile(
    r'(<!-- benchmark-table: (?P<path>\S+) -->\n)(?P<body>.*?)'
    r'(<!-- end benchmark-table -->)', re.S)


def render_generated_tables(
        text: str,
        root: str,
        read: Optional[Callable[[str], Dict]] = None) -> str:
    """``text`` with every generated block replaced by
    :func:`markdown_report` of the JSON it names (relative to ``root``).

    Args:
        text (str): A Markdown document.
        root (str): The folder the JSON paths are relative to (the
            repository's).
        read (Callable[[str], dict], optional): Reads a JSON file. Defaults
            to None (``json.load``).
    """

    def load(path: str) -> Dict:
        with open(path) as f:
            return json.load(f)

    read = read or load

    def replace(match: re.Match) -> str:
        body = markdown_report(read(osp.join(root, match['path'])))
        return f'{match.group(1)}{body}\n{match.group(4)}'

    return GENERATED_TABLE.sub(replace, text)


def markdown_blocks(paths: Sequence[str]) -> str:
    """The generated blocks of JSON reports, markers included, ready to
    paste into a document that :func:`update_generated_tables` keeps."""
    blocks = []
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        blocks.append(f'<!-- benchmark-table: {path} -->\n'
                      f'{markdown_report(report)}\n'
                      '<!-- end benchmark-table -->')
    return '\n'.join(blocks)


def update_generated_tables(path: str, root: str) -> bool:
    """Regenerate the blocks of the Markdown file ``path`` in place
    (atomically), from JSON paths relative to ``root``.

    Returns:
        bool: Whether the file changed.
    """
    with open(path) as f:
        text = f.read()
    new = render_generated_tables(text, root)
    if new != text:
        with atomic_write(path, 'w') as f:
            f.write(new)
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Regenerate the benchmark tables of a Markdown file')
    parser.add_argument('doc', nargs='?', metavar='DOC.md',
                        help='regenerate its tables in place')
    parser.add_argument('--print', nargs='+', metavar='REPORT.json',
                        dest='reports', help='print the blocks of these '
                        'reports instead')
    args = parser.parse_args(argv)
    if (args.doc is None) == (args.reports is None):
        parser.error('give DOC.md or --print REPORT.json ...')
    try:
        if args.reports:
            print(markdown_blocks(args.reports))
        else:
            changed = update_generated_tables(args.doc, REPO_ROOT)
            print(f'{args.doc}: '
                  f'{"updated" if changed else "already up to date"}')
    except (OSError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
