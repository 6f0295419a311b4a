# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of Conformer, side by side with mmpretrain's.

Examples::

    # our tiny (built from its config) vs mmpretrain's built-in, fp32, CPU
    python tools/analysis_tools/benchmark.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --compare mmpretrain
    python tools/analysis_tools/benchmark.py --arch small --patch-size 16 \\
        --dtype bf16 --channels-last --compare mmpretrain --json out.json

Inference is ``model(x, mode='tensor')`` under ``torch.no_grad``; training
is forward, the cross-entropy of both heads, backward and an AdamW step.
Both models get the same weights, and are timed in one process, interleaved
(a b a b ...), after warm-up; the median of ``--repeats`` is reported.

Limits: on CPU, peak memory is the peak RSS of a separate measurement
process per (implementation, mode), minus its RSS before the first step,
so the numbers include allocator caching and are per process; on CUDA it is
``torch.cuda.max_memory_allocated``. Timings on a shared or throttled
machine vary by a few percent between runs: compare ratios from one run.
"""
import argparse
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys

import torch

from mmconformer.analysis.benchmark import (build_pair, make_step,
                                            matmul_rate, time_interleaved)

ARCHS = ('tiny', 'small', 'base')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark Conformer against mmpretrain\'s built-in one',
        allow_abbrev=False)
    parser.add_argument('config', nargs='?', help='our model config file')
    parser.add_argument('--arch', choices=ARCHS,
                        help='build ours from an arch instead of a config')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--input-size', type=int, nargs='+', default=[224])
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda or cuda:N (default cpu)')
    parser.add_argument('--dtype', choices=['fp32', 'bf16'], default='fp32',
                        help='bf16 runs under torch.autocast')
    parser.add_argument('--channels-last', action='store_true',
                        help='also put mmpretrain\'s model and the input '
                        'in channels_last (ours is channels_last anyway)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile both models')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in our backbone')
    parser.add_argument('--compare', choices=['mmpretrain'], default=None)
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


def prepare(args, names):
    """Models (same weights), inputs and the steps to time."""
    cfg, arch, patch = our_model_cfg(args)
    if cfg is not None and args.with_cp:
        cfg['backbone']['with_cp'] = True
    models = build_pair(arch, patch, ours_cfg=cfg)
    if cfg is None and args.with_cp:
        models['mmconformer'].backbone.set_grad_checkpointing(True)
    models = {name: models[name] for name in names}
    h, w = args.input_size * 2 if len(args.input_size) == 1 else \
        args.input_size
    inputs = torch.randn(args.batch_size, 3, h, w, device=args.device)
    labels = torch.randint(0, 1000, (args.batch_size, ), device=args.device)
    if args.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    steps = {}
    for mode in (['infer', 'train'] if args.mode == 'both' else [args.mode]):
        for name, model in models.items():
            model = model.to(args.device)
            if args.channels_last and name == 'mmpretrain':
                model = model.to(memory_format=torch.channels_last)
            model.train(mode == 'train')
            runner = torch.compile(model) if args.compile else model
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4) \
                if mode == 'train' else None
            steps[(mode, name)] = make_step(runner, mode, inputs, labels,
                                            args.device, args.dtype,
                                            optimizer)
    return arch, patch, steps


def rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def memory_probe(args):
    """Run in a fresh process: peak RSS growth of a few steps of one
    (mode, implementation)."""
    mode, name = args.memory_probe.split(':')
    args.mode = mode
    _, _, steps = prepare(args, [name])
    step = steps[(mode, name)]
    before = rss_bytes()
    for _ in range(2):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({'peak_bytes': max(0, peak - before)}))


def measure_memory(args, mode, name, argv):
    if args.device.startswith('cuda'):
        return None
    cmd = [sys.executable, osp.abspath(__file__), *argv,
           '--_memory-probe', f'{mode}:{name}']
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'memory probe failed: {out.stderr[-2000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])['peak_bytes']


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.memory_probe:
        memory_probe(args)
        return 0
    names = ['mmconformer'] + (['mmpretrain'] if args.compare else [])
    arch, patch, steps = prepare(args, names)
    dtype = torch.bfloat16 if args.dtype == 'bf16' else torch.float32
    peak_rate = matmul_rate(dtype, args.device)
    from mmconformer.analysis.complexity import get_complexity
    h, w = args.input_size * 2 if len(args.input_size) == 1 else \
        args.input_size
    models = build_pair(arch, patch)
    flops = get_complexity(models['mmconformer'], (3, h, w))['total_flops']

    results = []
    for mode in sorted({m for m, _ in steps}, key=['infer', 'train'].index):
        subset = {n: s for (m, n), s in steps.items() if m == mode}
        cuda = args.device.startswith('cuda')
        times = time_interleaved(subset, args.device, args.warmup,
                                 args.repeats)
        for name in subset:
            seconds = statistics.median(times[name])
            work = flops * (1 if mode == 'infer' else 3) * args.batch_size
            row = dict(
                impl=name, mode=mode, arch=f'{arch}-p{patch}',
                batch_size=args.batch_size, input_size=[h, w],
                dtype=args.dtype, channels_last=args.channels_last,
                compile=args.compile, with_cp=args.with_cp,
                device=args.device, img_per_s=args.batch_size / seconds,
                median_s=seconds,
                gflops_per_s=2 * work / seconds / 1e9,
                matmul_gflops_per_s=peak_rate)
            row['fraction_of_matmul_peak'] = row['gflops_per_s'] / peak_rate
            if cuda:
                torch.cuda.reset_peak_memory_stats()
                subset[name]()
                torch.cuda.synchronize()
                row['peak_memory_mib'] = \
                    torch.cuda.max_memory_allocated() / 2**20
            elif not args.no_memory:
                row['peak_memory_mib'] = measure_memory(
                    args, mode, name, argv) / 2**20
            results.append(row)
    print_table(results)
    if args.json:
        tmp = args.json + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(dict(torch=torch.__version__, results=results), f,
                      indent=2)
        os.replace(tmp, args.json)
    if args.plot:
        plot(results, args.plot)
    return 0


def print_table(results):
    print(f'{"impl":<12} {"mode":<6} {"arch":<10} {"dtype":<5} '
          f'{"img/s":>8} {"GFLOP/s":>8} {"of peak":>8} {"peak MiB":>9}')
    for r in results:
        mem = r.get('peak_memory_mib')
        print(f'{r["impl"]:<12} {r["mode"]:<6} {r["arch"]:<10} '
              f'{r["dtype"]:<5} {r["img_per_s"]:>8.2f} '
              f'{r["gflops_per_s"]:>8.1f} '
              f'{100 * r["fraction_of_matmul_peak"]:>7.1f}% '
              f'{"" if mem is None else f"{mem:9.0f}"}')
    for mode in ('infer', 'train'):
        rows = {r['impl']: r for r in results if r['mode'] == mode}
        if 'mmpretrain' in rows and 'mmconformer' in rows:
            ratio = rows['mmconformer']['img_per_s'] / \
                rows['mmpretrain']['img_per_s']
            print(f'speed ratio mmconformer / mmpretrain ({mode}): '
                  f'{ratio:.2f}x')


def plot(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = [f'{r["impl"]}\n{r["mode"]}' for r in results]
    values = [r['img_per_s'] for r in results]
    fig, ax = plt.subplots(figsize=(1.6 * len(values) + 2, 3.5))
    ax.bar(labels, values, color=['C0' if r['impl'] == 'mmconformer' else
                                  'C1' for r in results])
    ax.set_ylabel('images / s')
    first = results[0]
    ax.set_title(f'{first["arch"]}, batch {first["batch_size"]}, '
                 f'{first["dtype"]}, {first["device"]}')
    fig.tight_layout()
    tmp = path + '.tmp.png'
    fig.savefig(tmp)
    os.replace(tmp, path)


if __name__ == '__main__':
    sys.exit(main())
