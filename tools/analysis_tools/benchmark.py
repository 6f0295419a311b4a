# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of Conformer, side by side with mmpretrain's; a thin CLI
over :mod:`mmconformer.analysis.benchmark`. Examples::

    # ours (from its config) vs mmpretrain's built-in, fp32, CPU
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --compare mmpretrain
    # every peer, in one interleaved run, on an AVX2 machine's instructions
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --sweep --isa avx2
"""
import argparse
import functools
import json
import os.path as osp
import sys
from dataclasses import asdict

from mmconformer.utils import (ISA_CAPS, ToolError, atomic_write,
                               check_device, cli_main, int_at_least,
                               provenance, run_capped, tool_logger)

LIMITS = ('CPU peak memory: the peak-RSS growth of a process per row over '
          'two steps. Training GFLOP/s count 3x the forward FLOPs. Compare '
          'ratios from one run. A cap emulates instructions, not caches.')
SWEEP_SETS = ('--dtype', '--channels-last', '--compare', '--fast', '--compile')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Benchmark Conformer against mmpretrain's built-in one",
        epilog=LIMITS, allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('config', nargs='?', help='our classifier config')
    p.add_argument('--arch', choices=('tiny', 'small', 'base'),
                   help='a 1000-class classifier of this arch instead')
    p.add_argument('--patch-size', type=int, default=16, help='with --arch')
    p.add_argument('--batch-size', type=int_at_least(1), default=8,
                   help='per step')
    p.add_argument('--input-size', type=int, nargs='+', default=[224],
                   metavar='SIZE', help='H W, or one value for a square')
    p.add_argument('--device', default='cpu', help='cpu, cuda[:N]')
    p.add_argument('--dtype', choices=['fp32', 'bf16', 'fp16', 'int8'],
                   default='fp32', help='bf16: autocast; fp16, int8: --fast')
    p.add_argument('--channels-last', action='store_true',
                   help="mmpretrain's model too")
    p.add_argument('--compile', action='store_true', help='every model')
    p.add_argument('--with-cp', action='store_true',
                   help='activation checkpointing in our backbone')
    p.add_argument('--compare', choices=['mmpretrain'], default=None,
                   help="also time mmpretrain's Conformer, same weights")
    p.add_argument('--fast', action='store_true', help='our fast path in '
                   "--dtype (mmpretrain's model compiled alike)")
    p.add_argument('--sweep', action='store_true', help='every peer')
    p.add_argument('--latency', action='store_true',
                   help='ms per image at batch 1 (p50, p90); --repeats 30+')
    p.add_argument('--baseline', metavar='"IMPL SETTING"', help='the row '
                   "the others are divided by (default: mmpretrain fp32)")
    p.add_argument('--mode', choices=['infer', 'train', 'both'],
                   default='both', help='what to time')
    p.add_argument('--warmup', type=int_at_least(0), default=2,
                   help='untimed rounds')
    p.add_argument('--repeats', type=int_at_least(1), default=5,
                   help='timed rounds (median)')
    p.add_argument('--no-memory', action='store_true', help='skip it')
    p.add_argument('--isa', choices=[*ISA_CAPS, 'native'], default='native',
                   help="every row on an older CPU class's instructions")
    p.add_argument('--json', metavar='OUT.json', help='the report')
    p.add_argument('--plot', metavar='OUT.png', help='img/s bars')
    return p


def parse_args(argv):
    parser = build_parser()
    args = a = parser.parse_args(argv)
    given = [arg.split('=')[0] for arg in argv]
    if (args.config is None) == (args.arch is None):
        parser.error('give either CONFIG or --arch, not both or neither')
    if args.config is not None and not osp.isfile(args.config):
        parser.error(f'config not found: {args.config}')
    if len(args.input_size) not in (1, 2) or min(args.input_size) <= 0:
        parser.error(f'--input-size takes one or two positive ints, got '
                     f'{args.input_size}')
    chosen = [flag for flag in SWEEP_SETS if flag in given]
    for broken, message in (
            (a.sweep and chosen, '--sweep sets the dtypes, the layouts and '
             f'the comparison itself; drop {", ".join(chosen)}'),
            (a.fast and a.mode == 'train',
             '--fast times inference only; drop --mode train'),
            (a.dtype in ('fp16', 'int8') and not a.fast,
             f'--dtype {a.dtype} is for our fast path: add --fast'),
            (a.latency and (a.mode == 'train' or '--batch-size' in given),
             '--latency times inference at batch 1: drop --mode train and '
             '--batch-size'),
            (a.latency and (a.plot or a.compile), '--latency draws no plot '
             'and compiles per variant: drop --plot / --compile'),
            (a.fast and (a.compile or a.channels_last), '--fast compiles and '
             'uses channels_last itself; drop --compile / --channels-last'),
            (a.isa != 'native' and a.device != 'cpu', '--isa caps a CPU\'s '
             'instructions: drop --device')):
        if broken:
            parser.error(message)
    try:
        check_device(args.device)
    except ToolError as err:
        parser.error(f'--{err}')
    return args


@cli_main()
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    code = run_capped(osp.abspath(__file__), argv, args.isa)
    if code is not None:  # it ran again, capped, in a new process
        return code
    from mmengine.logging import print_log

    from mmconformer.analysis import benchmark as bench
    options = {k: v for k, v in vars(args).items() if k not in (
        'compare', 'no_memory', 'json', 'plot', 'isa')}
    spec = bench.build_spec(**options, compare=bool(args.compare),
                            measure_memory=not args.no_memory)
    log = functools.partial(
        print_log, logger=tool_logger('mmconformer-benchmark', 'INFO'))
    try:
        report = bench.LatencyBenchmark(spec, log).run() if args.latency \
            else bench.ThroughputBenchmark(spec, log).run()
    except (ValueError, ImportError) as err:
        raise ToolError(str(err)) from err
    meta = provenance(' '.join(['python tools/analysis_tools/benchmark.py']
                               + argv), spec.device)
    report = dict(meta, spec=dict(asdict(spec), variants=[
        v._asdict() for v in spec.variants]), **report)
    print(bench.format_report(report))
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    if args.plot:
        from mmconformer.visualization import plot_benchmark
        plot_benchmark(report, args.plot, args.config or
                       f'conformer-{args.arch}-p{args.patch_size}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
