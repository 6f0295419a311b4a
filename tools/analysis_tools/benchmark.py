# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of Conformer, side by side with mmpretrain's.

Examples::

    # ours (from its config) vs mmpretrain's built-in, fp32, CPU
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --compare mmpretrain
    # any classifier config works, e.g. the 6-class demo
    python tools/analysis_tools/benchmark.py \\
        configs/demo/conformer-tiny-p16_1xb32_shapes.py --compare mmpretrain
    # every setting the README reports, in one interleaved run
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --sweep --plot out.png
    # our fast inference path vs mmpretrain's model compiled alike
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --fast --dtype bf16 \\
        --compare mmpretrain
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

from mmconformer.utils import (ToolError, atomic_write, check_device,
                               cli_main)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

LIMITS = ('Limits: CPU peak memory is the peak-RSS growth of a separate '
          'process per row over two steps after the model is built '
          '(includes allocator caching); CUDA peak memory is '
          'max_memory_allocated. Training GFLOP/s count 3x the forward '
          'FLOPs. Timings on a shared machine vary by a few percent between '
          'runs: compare ratios from one run.')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark Conformer against mmpretrain's built-in one",
        epilog=LIMITS, allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'config', nargs='?',
        help='our classifier config; mmpretrain\'s model is built from the '
        'same one (give CONFIG or --arch)')
    parser.add_argument('--arch', choices=('tiny', 'small', 'base'),
                        help='build a 1000-class classifier of this arch '
                        'instead of reading a config')
    parser.add_argument('--patch-size', type=int, default=16,
                        help='patch size with --arch')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per step')
    parser.add_argument('--input-size', type=int, nargs='+', default=[224],
                        metavar='SIZE', help='H W, or one value for a square')
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda or cuda:N')
    parser.add_argument('--dtype', choices=['fp32', 'bf16'], default='fp32',
                        help='bf16 runs under torch.autocast')
    parser.add_argument('--channels-last', action='store_true',
                        help="also put mmpretrain's model and its input in "
                        'channels_last (ours follows its config, '
                        'channels_last by default)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile every model')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in our backbone')
    parser.add_argument('--compare', choices=['mmpretrain'], default=None,
                        help="also time mmpretrain's Conformer with the "
                        'same weights')
    parser.add_argument('--fast', action='store_true',
                        help='time our optimize_for_inference path (in '
                        '--dtype; inference only); with --compare, '
                        "mmpretrain's model compiled with the same "
                        'settings (channels_last, --dtype autocast, '
                        'torch.compile with freezing)')
    parser.add_argument('--sweep', action='store_true',
                        help='ours in fp32 and bf16 vs mmpretrain in fp32, '
                        'channels_last, bf16 and channels_last + bf16; for '
                        "inference also mmpretrain's cl + bf16 compiled "
                        'with freezing, our fast path in fp32 and bf16, '
                        'and onnxruntime on our export (if installed)')
    parser.add_argument('--mode', choices=['infer', 'train', 'both'],
                        default='both', help='what to time')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed rounds before timing')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed rounds; the median is reported')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory measurement')
    parser.add_argument('--json', metavar='OUT.json', default=None,
                        help='write every row and the ratios here')
    parser.add_argument('--plot', metavar='OUT.png', default=None,
                        help='draw a bar chart of img/s here')
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
    if len(args.input_size) not in (1, 2) or min(args.input_size) <= 0:
        parser.error(f'--input-size takes one or two positive ints, got '
                     f'{args.input_size}')
    for name in ('batch_size', 'repeats'):
        if getattr(args, name) <= 0:
            parser.error(f'--{name.replace("_", "-")} must be positive')
    if args.warmup < 0:
        parser.error(f'--warmup must be >= 0, got {args.warmup}')
    explicit = [a for a in ('--dtype', '--channels-last', '--compare',
                            '--fast', '--compile')
                if a in (argv if argv is not None else sys.argv[1:])]
    if args.sweep and explicit:
        parser.error(f'--sweep sets the dtypes, the layouts and the '
                     f'comparison itself; drop {", ".join(explicit)}')
    if args.fast and args.mode == 'train':
        parser.error('--fast times inference only; drop --mode train')
    if args.fast and (args.compile or args.channels_last):
        parser.error('--fast compiles and uses channels_last itself; drop '
                     '--compile / --channels-last')
    try:
        check_device(args.device)
    except ToolError as err:
        parser.error(f'--{err}')
    return args


def build_spec(args):
    from mmconformer.analysis.benchmark import (BenchmarkSpec,
                                                classifier_cfg_from_arch,
                                                select_variants)
    if args.config is not None:
        from mmengine.config import Config
        model_cfg = Config.fromfile(args.config).model.to_dict()
    else:
        model_cfg = classifier_cfg_from_arch(args.arch, args.patch_size)
    backbone = model_cfg['backbone']
    if args.with_cp:
        backbone['with_cp'] = True
    variants = select_variants(
        sweep=args.sweep, fast=args.fast, compare=bool(args.compare),
        dtype=args.dtype, channels_last=args.channels_last,
        ours_channels_last=backbone.get('channels_last', True),
        device=args.device)
    size = args.input_size * 2 if len(args.input_size) == 1 else \
        args.input_size
    return BenchmarkSpec(
        model_cfg=model_cfg, variants=variants, batch_size=args.batch_size,
        input_size=tuple(size), device=args.device,
        modes=('infer', ) if args.fast else
        ('infer', 'train') if args.mode == 'both' else (args.mode, ),
        compile=args.compile, warmup=args.warmup, repeats=args.repeats)


def print_markdown(paths) -> None:
    from mmconformer.analysis.benchmark import markdown_report
    for path in paths:
        try:
            with open(path) as f:
                report = json.load(f)
            print(f'<!-- benchmark-table: {path} -->')
            print(markdown_report(report))
            print('<!-- end benchmark-table -->')
        except (OSError, ValueError) as err:
            raise ToolError(f'{path}: {err}') from err


def update_docs(path: str) -> None:
    from mmconformer.analysis.benchmark import render_generated_tables
    try:
        with open(path) as f:
            text = f.read()
        new = render_generated_tables(text, REPO_ROOT)
    except (OSError, ValueError) as err:
        raise ToolError(f'{path}: {err}') from err
    if new != text:
        with atomic_write(path, 'w') as f:
            f.write(new)
    print(f'{path}: {"updated" if new != text else "already up to date"}')


@cli_main()
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.markdown:
        print_markdown(args.markdown)
        return 0
    if args.update_docs:
        update_docs(args.update_docs)
        return 0
    from mmengine.logging import print_log

    from mmconformer.analysis.benchmark import (ThroughputBenchmark,
                                                format_table, plot_results,
                                                report_meta)
    from mmconformer.utils import tool_logger

    # Progress goes through mmengine's logger (the FLOP counter's notes and
    # the memory probes' init reports are kept out of it).
    logger = tool_logger('mmconformer-benchmark', 'INFO')
    spec = build_spec(args)
    try:
        report = ThroughputBenchmark(
            spec, measure_memory=not args.no_memory,
            log=lambda msg: print_log(msg, logger=logger)).run()
    except ValueError as err:
        raise ToolError(str(err)) from err
    print(format_table(report['results'], report['ratios']))
    meta = report_meta(spec, 'python tools/analysis_tools/benchmark.py ' +
                       ' '.join(argv))
    print(f'Machine: {meta["machine"]}; GEMM peak (best of the model\'s '
          'own GEMMs): ' + ', '.join(
              f'{dtype} {peak["gflops_per_s"]:.0f} GFLOP/s'
              for dtype, peak in report['peaks'].items()))
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(dict(**meta, **report), f, indent=2)
    if args.plot:
        name = osp.splitext(osp.basename(args.config))[0] if args.config \
            else f'conformer-{args.arch}-p{args.patch_size}'
        plot_results(
            report['results'], args.plot,
            f'{name}, batch {spec.batch_size}, {spec.input_size[0]}x'
            f'{spec.input_size[1]}' +
            (', torch.compile' if spec.compile else '') +
            f'\n{meta["machine"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
