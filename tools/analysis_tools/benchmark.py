# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of Conformer, side by side with mmpretrain's.

Examples::

    # ours (from its config) vs mmpretrain's built-in, fp32, CPU
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --compare mmpretrain
    # every setting the README reports, in one interleaved run
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --sweep --plot out.png
    # our fast inference path vs mmpretrain's model compiled alike
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --fast --dtype bf16 \\
        --compare mmpretrain
    # where the int8 fast path spends its time
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --profile-int8
    # the docs' tables, regenerated from the JSON reports
    python tools/analysis_tools/benchmark.py --update-docs \\
        docs/en/benchmarks.md

A thin command line over :mod:`mmconformer.analysis.benchmark` (see
:class:`~mmconformer.analysis.benchmark.ThroughputBenchmark` for what is
measured and how).
"""
import argparse
import json
import os.path as osp
import sys

from mmconformer.analysis.benchmark.options import LIMITS, option_conflict
from mmconformer.utils import ToolError, atomic_write, check_device, cli_main

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark Conformer against mmpretrain's built-in one",
        epilog=LIMITS, allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'config', nargs='?',
        help="our classifier config, mmpretrain's model built alike")
    parser.add_argument('--arch', choices=('tiny', 'small', 'base'),
                        help='build a 1000-class classifier of this arch '
                        'instead of reading a config')
    parser.add_argument('--patch-size', type=int, default=16, help='with '
                        '--arch')
    parser.add_argument('--batch-size', type=int, default=8, help='per step')
    parser.add_argument('--input-size', type=int, nargs='+', default=[224],
                        metavar='SIZE', help='H W, or one value for a square')
    parser.add_argument('--device', default='cpu', help='cpu, cuda[:N]')
    parser.add_argument('--dtype', choices=['fp32', 'bf16', 'fp16', 'int8'],
                        default='fp32',
                        help='bf16 runs under torch.autocast; fp16 and int8 '
                        'are for --fast (int8: x86 CPUs, calibrated on the '
                        'timed batch)')
    parser.add_argument('--channels-last', action='store_true',
                        help="also put mmpretrain's model and its input in "
                        'channels_last (ours follows its config, '
                        'channels_last by default)')
    parser.add_argument('--compile', action='store_true', help='every model')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in our backbone')
    parser.add_argument('--compare', choices=['mmpretrain'], default=None,
                        help="also time mmpretrain's Conformer with the "
                        'same weights')
    parser.add_argument('--fast', action='store_true',
                        help='our optimize_for_inference path in --dtype; '
                        "with --compare, mmpretrain's model compiled alike")
    parser.add_argument('--sweep', action='store_true',
                        help='every peer: see select_variants (int8 rows: '
                        'x86 CPU with torchao; onnxruntime if installed)')
    parser.add_argument('--latency', action='store_true',
                        help='milliseconds per image at batch 1 (p50, p90) '
                        'instead of images per second, for every variant '
                        '(with --sweep: every peer); use --repeats 30 or '
                        'more for a stable p90')
    parser.add_argument('--profile-int8', action='store_true',
                        help='profile our int8 fast path instead (x86 CPU, '
                        'torchao): kernel time by category over --repeats '
                        'forwards, and what its graph keeps in float')
    parser.add_argument('--mode', choices=['infer', 'train', 'both'],
                        default='both', help='what to time')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed rounds before timing')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed rounds; the median is reported')
    parser.add_argument('--no-memory', action='store_true', help='skip it')
    parser.add_argument('--json', metavar='OUT.json', help='the report')
    parser.add_argument('--plot', metavar='OUT.png', help='img/s bars')
    parser.add_argument('--markdown', nargs='+', metavar='REPORT.json',
                        help='print the Markdown table of each JSON report '
                        'and exit (nothing is measured)')
    parser.add_argument('--update-docs', metavar='DOC.md',
                        help='regenerate the tables of a Markdown document '
                        'from the JSON reports its markers name, in place, '
                        'and exit (nothing is measured)')
    return parser


def parse_args(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.markdown or args.update_docs:
        if args.config or args.arch:
            parser.error('--markdown and --update-docs read reports: give '
                         'no CONFIG or --arch')
        return args
    if (args.config is None) == (args.arch is None):
        parser.error('give either CONFIG or --arch, not both or neither')
    if args.config is not None and not osp.isfile(args.config):
        parser.error(f'config not found: {args.config}')
    given = [arg.split('=')[0] for arg in
             (argv if argv is not None else sys.argv[1:])]
    conflict = option_conflict(vars(args), given)
    if conflict:
        parser.error(conflict)
    try:
        check_device(args.device)
    except ToolError as err:
        parser.error(f'--{err}')
    return args


@cli_main()
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    from mmconformer.analysis import benchmark as bench
    try:
        if args.markdown:
            print(bench.markdown_blocks(args.markdown))
            return 0
        if args.update_docs:
            changed = bench.update_generated_tables(args.update_docs,
                                                    REPO_ROOT)
            print(f'{args.update_docs}: '
                  f'{"updated" if changed else "already up to date"}')
            return 0
    except (OSError, ValueError) as err:
        raise ToolError(str(err)) from err
    from mmengine.logging import print_log

    from mmconformer.utils import tool_logger

    # Progress goes through mmengine's logger (the FLOP counter's notes and
    # the memory probes' init reports are kept out of it).
    logger = tool_logger('mmconformer-benchmark', 'INFO')
    spec = bench.build_spec(
        **{name: getattr(args, name)
           for name in ('config', 'arch', 'patch_size', 'with_cp', 'latency',
                        'mode', 'batch_size', 'input_size', 'device', 'sweep',
                        'fast', 'dtype', 'channels_last', 'compile',
                        'warmup', 'repeats')},
        compare=bool(args.compare))

    def log(msg):
        print_log(msg, logger=logger)

    try:
        if args.profile_int8:
            report = bench.Int8ProfileBenchmark(spec, log=log).run()
        elif args.latency:
            report = bench.LatencyBenchmark(spec, log=log).run()
        else:
            report = bench.ThroughputBenchmark(
                spec, measure_memory=not args.no_memory, log=log).run()
    except (ValueError, ImportError) as err:
        raise ToolError(str(err)) from err
    meta = bench.report_meta(
        spec, 'python tools/analysis_tools/benchmark.py ' + ' '.join(argv))
    report = dict(**meta, **report)
    print(bench.markdown_report(report) if args.profile_int8 else
          bench.format_latency_table(report['results']) if args.latency else
          bench.format_table(report['results'], report['ratios']))
    if not args.profile_int8:
        print(f'Machine: {meta["machine"]}' + ''.join(
            f'; {dtype} GEMM peak {peak["gflops_per_s"]:.0f} GFLOP/s'
            for dtype, peak in report.get('peaks', {}).items()))
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    if args.plot:
        name = osp.splitext(osp.basename(args.config))[0] if args.config \
            else f'conformer-{args.arch}-p{args.patch_size}'
        bench.plot_results(
            report['results'], args.plot,
            f'{name}, batch {spec.batch_size}, {spec.input_size[0]}x'
            f'{spec.input_size[1]}' +
            (', torch.compile' if spec.compile else '') +
            f'\n{meta["machine"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
