# Copyright (c) mmconformer contributors. All rights reserved.
"""Measure everything the project measures on a GPU, in one run that fits a
few minutes of a lent machine (``make gpu-check`` runs this).

Example::

    python tools/analysis_tools/gpu_check.py \\
        --json docs/benchmarks/gpu_check.json --budget-s 300

Sections, most important first: the GPU-marked tests; training step
throughput against mmpretrain's model, Conformer-tiny-p16 and -small-p16,
batch 64, 224x224, fp16 AMP and bf16 AMP; inference of every peer, our
fast path in fp16 included; peak training memory with and without
``with_cp``; training again with both models compiled. When ``--budget-s``
is spent, the remaining sections are recorded as skipped. The JSON's tables
go into the docs with ``python docs/benchmark_tables.py
docs/en/benchmarks.md``. On a machine without a CUDA GPU it stops at once
with one line.
"""
import argparse
import json
import subprocess
import sys
import time

from mmconformer.utils import ToolError, atomic_write, cli_main, tool_logger


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='The GPU check: tests and side-by-side measurements',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--json', default='docs/benchmarks/gpu_check.json',
                        metavar='OUT.json', help='where to write the results')
    parser.add_argument('--budget-s', type=float, default=300.0,
                        help='seconds after which the remaining sections '
                        'are skipped')
    return parser


def run_gpu_tests() -> dict:
    """The GPU-marked tests, in a subprocess (their own CUDA state)."""
    start = time.time()
    command = [sys.executable, '-m', 'pytest', 'tests', '-m', 'gpu', '-q',
               '-p', 'no:cacheprovider']
    result = subprocess.run(command, capture_output=True, text=True)
    summary = (result.stdout.strip().splitlines() or [''])[-1]
    return dict(command=' '.join(command[1:]), exit_status=result.returncode,
                summary=summary, seconds=time.time() - start)


@cli_main()
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    from mmconformer.analysis.gpu_check import (gpu_unavailable,
                                                plan_gpu_check, run_gpu_check)
    reason = gpu_unavailable()
    if reason:
        raise ToolError(reason)
    from mmengine.logging import print_log
    logger = tool_logger('gpu-check', 'INFO')
    report = run_gpu_check(
        'python tools/analysis_tools/gpu_check.py ' + ' '.join(argv),
        plan_gpu_check(run_gpu_tests), args.budget_s,
        log=lambda message: print_log(message, logger=logger))
    with atomic_write(args.json, 'w') as f:
        json.dump(report, f, indent=2)
    for name, section in report['sections'].items():
        state = section.get('skipped') or section.get('error') or \
            section.get('summary') or 'measured'
        print(f'{name}: {state}')
    print(f'Wrote {args.json}')
    failed = [name for name, section in report['sections'].items()
              if 'error' in section]
    tests = report['sections'].get('tests', {})
    return 1 if failed or tests.get('exit_status') else 0


if __name__ == '__main__':
    sys.exit(main())
