# Copyright (c) mmconformer contributors. All rights reserved.
"""What a benchmark reports: the ratios, a text table, a plot, the machine,
and the Markdown tables of the docs, generated from the JSON reports."""
import datetime
import json
import os.path as osp
import re
from dataclasses import asdict
from typing import Callable, Dict, List, Optional, Sequence

import torch

from ...utils import atomic_write
from ...utils.cpu_features import cpu_features, cpu_model_name
from .steps import BenchmarkSpec

__all__ = [
    'format_latency_table', 'format_table', 'machine_description',
    'markdown_blocks', 'markdown_report', 'plot_results',
    'render_generated_tables', 'report_meta', 'speed_ratios',
    'update_generated_tables'
]


def _label(row: dict) -> str:
    return f'{row["impl"]} {row["setting"]}'


def speed_ratios(results: List[dict]) -> List[dict]:
    """The ratios of img/s that compare the settings, per mode.

    - One mmpretrain eager row (a plain comparison): ours over it, in the
      same dtype.
    - Several mmpretrain eager rows (a sweep): ours fp32 over mmpretrain's
      default (fp32, NCHW), ours bf16 over it, and ours bf16 over
      mmpretrain's fastest eager setting.
    - Our fast path over mmpretrain compiled with freezing in the same
      dtype; fast bf16 over mmpretrain's default; fast fp32 and onnxruntime
      over our own fp32 eager.

    Returns:
        list[dict]: ``mode``, ``numerator``, ``denominator`` (``'impl
        setting'``), ``note`` and ``ratio`` each.
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
        fast_int8 = pick('mmconformer', 'fast', 'int8')
        ort_fp32 = pick('mmconformer', 'onnxruntime', 'fp32')
        for fast in (fast_bf16, fast_fp32,
                     pick('mmconformer', 'fast', 'fp16')):
            same = [r for r in compiled
                    if fast is not None and r['dtype'] == fast['dtype']]
            if same:
                pairs.append((fast, max(same, key=lambda r: r['img_per_s']),
                              'both compiled with freezing'))
        best_compiled = max(compiled, key=lambda r: r['img_per_s']) \
            if compiled else None
        pairs += [(fast_bf16, default, "mmpretrain's fp32 eager default"),
                  (fast_fp32, ours_fp32, 'our fp32 eager'),
                  (fast_int8, fast_bf16, 'our bf16 fast path'),
                  (fast_int8, best_compiled,
                   "mmpretrain's best by switches"),
                  (ort_fp32, ours_fp32, 'our fp32 eager'),
                  (pick('mmconformer', 'onnxruntime', 'int8'), ort_fp32,
                   'onnxruntime fp32')]
        for num, den, note in pairs:
            if num is None or den is None:
                continue
            ratios.append(dict(mode=mode, numerator=_label(num),
                               denominator=_label(den), note=note,
                               ratio=num['img_per_s'] / den['img_per_s']))
    return ratios


def format_latency_table(results: List[dict]) -> str:
    """Latency rows as aligned text, fastest p50 marked."""
    best = min(r['p50_ms'] for r in results)
    lines = [f'{"impl":<12} {"setting":<16} {"p50 ms":>8} {"p90 ms":>8} '
             f'{"1st call s":>10}']
    for r in results:
        lines.append(f'{r["impl"]:<12} {r["setting"]:<16} '
                     f'{r["p50_ms"]:>8.1f} {r["p90_ms"]:>8.1f} '
                     f'{r["first_step_s"]:>10.1f}' +
                     ('  <- lowest p50' if r['p50_ms'] == best else ''))
    return '\n'.join(lines)


def format_table(results: List[dict], ratios: List[dict]) -> str:
    """The rows and ratios as aligned text, for the terminal."""
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

    from ...utils import atomic_write
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
    """The device's name; for a CPU also its AMX, bf16 and int8 flags
    (:func:`~mmconformer.utils.cpu_features`) and the thread count."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    flags = ', '.join(cpu_features()) or 'no AVX2/AVX-512/AMX flags'
    return f'{cpu_model_name()} ({flags}), {torch.get_num_threads()} threads'


def report_meta(spec: BenchmarkSpec, command: str) -> dict:
    """What the JSON records besides the rows: versions, machine, date,
    command and the spec."""
    return dict(
        torch=torch.__version__,
        machine=machine_description(spec.device),
        cpu_features=cpu_features() if spec.device == 'cpu' else [],
        date=datetime.date.today().isoformat(),
        command=command,
        spec=dict(asdict(spec),
                  variants=[v._asdict() for v in spec.variants]))


# ---------------------------------------------------------------------- #
# Markdown for the docs
# ---------------------------------------------------------------------- #
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


def _throughput_markdown(report: dict, header: bool = True) -> List[str]:
    results = report['results']
    spec = report.get('spec') or {}
    lines = _header(report) if header else []
    lines.append(f'Batch {spec.get("batch_size", results[0]["batch_size"])}'
                 f', {results[0]["input_size"][0]}x'
                 f'{results[0]["input_size"][1]}, median of '
                 f'{spec.get("repeats", "?")} timed rounds.')
    memory = any('peak_memory_mib' in r for r in results)
    compiled = any(r['compile'] for r in results)
    head = ['Row', 'mode', 'img/s', 'GFLOP/s', 'of peak'] + \
        (['peak MiB'] if memory else []) + \
        (['1st call s'] if compiled else [])
    lines += ['', '| ' + ' | '.join(head) + ' |',
              '|' + '---|' * len(head)]
    for r in results:
        cells = [_label(r), r['mode'], f'{r["img_per_s"]:.2f}',
                 f'{r["gflops_per_s"]:.0f}',
                 f'{100 * r["fraction_of_peak"]:.0f}%']
        if memory:
            mem = r.get('peak_memory_mib')
            cells.append('' if mem is None else f'{mem:,.0f}')
        if compiled:
            cells.append(f'{r["first_step_s"]:.1f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    ratios = speed_ratios(results)
    if ratios:
        lines += ['', '| Ratio (img/s over img/s) | mode | value |',
                  '|---|---|---|']
        lines += [f'| {r["numerator"]} / {r["denominator"]} ({r["note"]}) '
                  f'| {r["mode"]} | {r["ratio"]:.2f}x |' for r in ratios]
    return lines


def _latency_markdown(report: dict) -> List[str]:
    results = report['results']
    spec = report.get('spec') or {}
    best = min(results, key=lambda r: r['p50_ms'])
    lines = _header(report) + [
        f'Batch 1, {results[0]["input_size"][0]}x'
        f'{results[0]["input_size"][1]}, {spec.get("repeats", "?")} timed '
        f'calls per row, interleaved.', '',
        '| Row | p50 ms | p90 ms | first call s |', '|---|---|---|---|'
    ]
    for r in results:
        mark = '**' if r is best else ''
        lines.append(f'| {mark}{_label(r)}{mark} | {r["p50_ms"]:.1f} | '
                     f'{r["p90_ms"]:.1f} | {r["first_step_s"]:.1f} |')
    lines += ['', f'Lowest p50: {_label(best)}.']
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
    lines = [f'`{report["config"]}`, `{report["checkpoint"]}`, dtype '
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
