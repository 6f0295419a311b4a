# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of Conformer, side by side with mmpretrain's.

Examples::

    # our tiny (built from its config) vs mmpretrain's built-in, fp32, CPU
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --compare mmpretrain
    python tools/analysis_tools/benchmark.py --arch small --patch-size 16 \\
        --dtype bf16 --channels-last --compare mmpretrain --json out.json
    # every setting the README reports, in one interleaved run
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --sweep --plot out.png

Inference is ``model(x, mode='tensor')`` under ``torch.no_grad``; training
is forward, the cross-entropy of both heads, backward and an AdamW step.
Both models get the same weights, and are timed in one process, interleaved
(a b a b ...), after warm-up; the median of ``--repeats`` is reported.
``--sweep`` times ours in fp32 and bf16 against mmpretrain's in each of its
four switchable settings (fp32, channels_last, bf16, channels_last + bf16),
all interleaved in one process, and prints the ratios to mmpretrain's
default and to its fastest setting.

Limits: on CPU, peak memory is measured in a separate process per
(implementation, setting, mode): the peak RSS over two steps (the kernel's
mark is reset after the model is built) minus the RSS before them. It
includes allocator caching and is per process. On CUDA it is
``torch.cuda.max_memory_allocated``. Timings on a shared or throttled
machine vary by a few percent between runs: compare ratios from one run.
"""
import argparse
import copy
import datetime
import gc
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
from typing import List, NamedTuple

import torch

from mmconformer.analysis.benchmark import (build_pair, make_step,
                                            matmul_rate, time_interleaved)

ARCHS = ('tiny', 'small', 'base')


class Variant(NamedTuple):
    """One implementation in one setting."""
    impl: str  # 'mmconformer' or 'mmpretrain'
    dtype: str  # 'fp32' or 'bf16' (autocast)
    channels_last: bool

    @property
    def setting(self) -> str:
        parts = (['cl'] if self.channels_last else []) + \
            (['bf16'] if self.dtype == 'bf16' else [])
        return '+'.join(parts) or 'fp32'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark Conformer against mmpretrain\'s built-in one',
        epilog='Limits: CPU peak memory is the peak RSS of a separate '
        'process per row, over two steps after the model is built '
        '(includes allocator caching); CUDA peak memory is '
        'max_memory_allocated. Timings on a shared machine vary by a few '
        'percent between runs: compare ratios from one run.',
        allow_abbrev=False)
    parser.add_argument('config', nargs='?', help='our model config file')
    parser.add_argument('--arch', choices=ARCHS,
                        help='build ours from an arch instead of a config')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--input-size', type=int, nargs='+', default=[224])
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda or cuda:N (default cpu)')
    parser.add_argument('--dtype', choices=['fp32', 'bf16'], default=None,
                        help='bf16 runs under torch.autocast (default fp32)')
    parser.add_argument('--channels-last', action='store_true',
                        help='also put mmpretrain\'s model and the input '
                        'in channels_last (ours follows its config, '
                        'channels_last by default)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile every model')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in our backbone')
    parser.add_argument('--compare', choices=['mmpretrain'], default=None)
    parser.add_argument('--sweep', action='store_true',
                        help='ours in fp32 and bf16 vs mmpretrain in fp32, '
                        'channels_last, bf16 and channels_last + bf16')
    parser.add_argument('--mode', choices=['infer', 'train', 'both'],
                        default='both')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory measurement')
    parser.add_argument('--json', metavar='OUT', help='write results here')
    parser.add_argument('--plot', metavar='OUT.png',
                        help='draw a bar chart of img/s')
    parser.add_argument('--_memory-probe', dest='memory_probe',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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
    if args.sweep and (args.dtype or args.channels_last or args.compare):
        parser.error('--sweep sets the dtypes, the layouts and the '
                     'comparison itself; drop --dtype, --channels-last and '
                     '--compare')
    args.dtype = args.dtype or 'fp32'
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: CUDA is not available')
    if not (args.device == 'cpu' or args.device.startswith('cuda')):
        parser.error(f'--device must be cpu or cuda[:N], got {args.device}')
    return args


def our_model_cfg(args):
    if args.config is None:
        return None, args.arch, args.patch_size
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    backbone = cfg.model.backbone
    return cfg.model.to_dict(), backbone.get('arch', 'tiny'), \
        backbone.get('patch_size', 16)


def variants_of(args, ours_channels_last: bool) -> List[Variant]:
    if args.sweep:
        return [Variant('mmconformer', dtype, ours_channels_last)
                for dtype in ('fp32', 'bf16')] + [
                    Variant('mmpretrain', dtype, cl)
                    for dtype in ('fp32', 'bf16') for cl in (False, True)]
    variants = [Variant('mmconformer', args.dtype, ours_channels_last)]
    if args.compare:
        variants.append(
            Variant('mmpretrain', args.dtype, args.channels_last))
    return variants


def input_hw(args):
    return tuple(args.input_size * 2 if len(args.input_size) == 1 else
                 args.input_size)


def prepare(args, only=None):
    """Models (one copy per variant, same weights), inputs and the steps to
    time, keyed by ``(mode, variant)``. ``only`` keeps one variant index.
    Also returns our model as built, untouched, for counting FLOPs."""
    cfg, arch, patch = our_model_cfg(args)
    if cfg is not None and args.with_cp:
        cfg['backbone']['with_cp'] = True
    models = build_pair(arch, patch, ours_cfg=cfg)
    if cfg is None and args.with_cp:
        models['mmconformer'].backbone.set_grad_checkpointing(True)
    variants = variants_of(args,
                           models['mmconformer'].backbone.channels_last)
    if only is not None:
        variants = [variants[only]]
    inputs = torch.randn(args.batch_size, 3, *input_hw(args),
                         device=args.device)
    labels = torch.randint(0, 1000, (args.batch_size, ), device=args.device)
    steps = {}
    for mode in (['infer', 'train'] if args.mode == 'both' else [args.mode]):
        for variant in variants:
            model = copy.deepcopy(models[variant.impl]).to(args.device)
            x = inputs
            if variant.impl == 'mmpretrain' and variant.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = inputs.contiguous(memory_format=torch.channels_last)
            model.train(mode == 'train')
            runner = torch.compile(model) if args.compile else model
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) \
                if mode == 'train' else None
            steps[(mode, variant)] = make_step(runner, mode, x, labels,
                                               args.device, variant.dtype,
                                               optimizer)
    return arch, patch, variants, steps, models['mmconformer']


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0:
    ``5 > /proc/self/clear_refs``), so that the peak covers only what comes
    next and not the model construction. False where that is refused."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def memory_probe(args):
    """Run in a fresh process: peak RSS growth over the RSS before two
    steps of one (mode, variant)."""
    mode, index = args.memory_probe.split(':')
    args.mode = mode
    steps = prepare(args, only=int(index))[3]
    step = next(iter(steps.values()))
    gc.collect()
    if not reset_peak_rss():
        raise RuntimeError('cannot reset the peak RSS (/proc/self/clear_refs)'
                           '; run with --no-memory')
    before = _status_kib('VmRSS')
    for _ in range(2):
        step()
    peak = _status_kib('VmHWM')
    print(json.dumps({'peak_bytes': max(0, peak - before) * 1024}))


def measure_memory(args, mode, index, argv):
    cmd = [sys.executable, osp.abspath(__file__), *argv,
           '--_memory-probe', f'{mode}:{index}']
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'memory probe failed: {out.stderr[-2000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])['peak_bytes']


def machine_description(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    name = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return f'{name}, {torch.get_num_threads()} threads'


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # Model-init reports and the FLOP counter's op warnings are noise here.
    from mmengine.logging import MMLogger
    MMLogger.get_instance('benchmark', log_level='ERROR')
    if args.memory_probe:
        memory_probe(args)
        return 0
    arch, patch, variants, steps, ours = prepare(args)
    peak_rate = {
        dtype: matmul_rate(
            torch.bfloat16 if dtype == 'bf16' else torch.float32,
            args.device)
        for dtype in sorted({v.dtype for v in variants})
    }
    from mmconformer.analysis.complexity import get_complexity
    h, w = input_hw(args)
    flops = get_complexity(ours, (3, h, w))['total_flops']

    cuda = args.device.startswith('cuda')
    results = []
    for mode in sorted({m for m, _ in steps}, key=['infer', 'train'].index):
        subset = {v: s for (m, v), s in steps.items() if m == mode}
        # the first call on its own: with --compile it includes compiling
        first = time_interleaved(subset, args.device, 0, 1)
        times = time_interleaved(subset, args.device, args.warmup,
                                 args.repeats)
        for index, variant in enumerate(variants):
            seconds = statistics.median(times[variant])
            work = flops * (1 if mode == 'infer' else 3) * args.batch_size
            row = dict(
                impl=variant.impl, setting=variant.setting, mode=mode,
                arch=f'{arch}-p{patch}', batch_size=args.batch_size,
                input_size=[h, w], dtype=variant.dtype,
                channels_last=variant.channels_last, compile=args.compile,
                with_cp=args.with_cp and variant.impl == 'mmconformer',
                device=args.device, img_per_s=args.batch_size / seconds,
                median_s=seconds, first_step_s=first[variant][0],
                gflops_per_s=2 * work / seconds / 1e9,
                matmul_gflops_per_s=peak_rate[variant.dtype])
            row['fraction_of_matmul_peak'] = \
                row['gflops_per_s'] / row['matmul_gflops_per_s']
            if cuda:
                torch.cuda.reset_peak_memory_stats()
                subset[variant]()
                torch.cuda.synchronize()
                row['peak_memory_mib'] = \
                    torch.cuda.max_memory_allocated() / 2**20
            elif not args.no_memory:
                row['peak_memory_mib'] = measure_memory(
                    args, mode, index, argv) / 2**20
            results.append(row)
    ratios = speed_ratios(results)
    print_table(results, ratios)
    if args.json:
        meta = dict(
            torch=torch.__version__, machine=machine_description(args.device),
            date=datetime.date.today().isoformat(),
            command='python tools/analysis_tools/benchmark.py ' +
            ' '.join(argv))
        write_atomic(args.json,
                     json.dumps(dict(**meta, results=results, ratios=ratios),
                                indent=2))
    if args.plot:
        plot(results, args.plot)
    return 0


def speed_ratios(results) -> List[dict]:
    """img/s of ours over mmpretrain's: same settings (one comparison), or
    for ``--sweep``: fp32 over mmpretrain's default (fp32, NCHW), bf16 over
    it, and bf16 over mmpretrain's fastest setting."""
    ratios = []
    for mode in ('infer', 'train'):
        rows = [r for r in results if r['mode'] == mode]
        ours = {r['dtype']: r for r in rows if r['impl'] == 'mmconformer'}
        refs = {r['setting']: r for r in rows if r['impl'] == 'mmpretrain'}
        if not ours or not refs:
            continue
        pairs = []
        if len(refs) == 1:
            (ref, ) = refs.values()
            pairs.append((ours[ref['dtype']], ref, 'same dtype'))
        else:
            best = max(refs.values(), key=lambda r: r['img_per_s'])
            pairs += [(ours['fp32'], refs['fp32'], 'both defaults'),
                      (ours['bf16'], refs['fp32'], 'mmpretrain default'),
                      (ours['bf16'], best, 'mmpretrain fastest')]
        for our, ref, note in pairs:
            ratios.append(dict(mode=mode, ours=our['setting'],
                               mmpretrain=ref['setting'], note=note,
                               ratio=our['img_per_s'] / ref['img_per_s']))
    return ratios


def print_table(results, ratios):
    compiled = any(r['compile'] for r in results)
    print(f'{"impl":<12} {"setting":<8} {"mode":<6} {"arch":<10} '
          f'{"img/s":>8} {"GFLOP/s":>8} {"of peak":>8} {"peak MiB":>9}' +
          (f' {"1st step s":>10}' if compiled else ''))
    for r in results:
        mem = r.get('peak_memory_mib')
        print(f'{r["impl"]:<12} {r["setting"]:<8} {r["mode"]:<6} '
              f'{r["arch"]:<10} {r["img_per_s"]:>8.2f} '
              f'{r["gflops_per_s"]:>8.1f} '
              f'{100 * r["fraction_of_matmul_peak"]:>7.1f}% '
              f'{"" if mem is None else f"{mem:9.0f}":>9}' +
              (f' {r["first_step_s"]:>10.1f}' if compiled else ''))
    for r in ratios:
        print(f'speed ratio mmconformer / mmpretrain ({r["mode"]}): '
              f'{r["ratio"]:.2f}x  [ours {r["ours"]} vs mmpretrain '
              f'{r["mmpretrain"]}: {r["note"]}]')


def write_atomic(path: str, text: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def plot(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    modes = [m for m in ('infer', 'train')
             if any(r['mode'] == m for r in results)]
    fig, axes = plt.subplots(
        1, len(modes), squeeze=False,
        figsize=(0.9 * len(results) + 2, 3.6))
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
    first = results[0]
    fig.suptitle(f'Conformer {first["arch"]}, batch {first["batch_size"]}, '
                 f'{first["input_size"][0]}x{first["input_size"][1]}, '
                 f'{first["device"]}' +
                 (', torch.compile' if first['compile'] else ''))
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


if __name__ == '__main__':
    sys.exit(main())
