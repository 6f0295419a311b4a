# Copyright (c) mmconformer contributors. All rights reserved.
"""Peak memory of a variant's step: CUDA's allocator, or the peak RSS of a
separate process on CPU."""
import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import torch

from .steps import BenchmarkSpec, prepare_steps
from .variants import Variant, build_models

__all__ = ['measure_peak_memory']


def _status_kib(name: str) -> int:
    """A ``VmRSS``-style field of /proc/self/status, in KiB."""
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f
                    if line.startswith(name + ':'))


def _step(spec: BenchmarkSpec, mode: str, variant: Variant):
    models = build_models(spec.model_cfg, {variant.impl})
    return prepare_steps(spec, models, [variant], [mode])[(mode, variant)]


def _memory_probe(spec: BenchmarkSpec, mode: str, variant: Variant,
                  threads: int) -> int:
    """Runs in a fresh process: the peak-RSS growth, in bytes, over two steps
    of one (mode, variant), after the model is built."""
    from mmengine.logging import MMLogger

    from ...utils import silence_known_warnings
    silence_known_warnings()
    # The parent's quiet logger does not reach this process.
    MMLogger.get_instance('mmconformer-memory-probe', log_level='WARNING')
    torch.set_num_threads(threads)
    step = _step(spec, mode, variant)
    gc.collect()
    try:  # reset the kernel's peak-RSS mark (Linux >= 4.0)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError as err:
        raise RuntimeError('cannot reset the peak RSS (/proc/self/'
                           'clear_refs); measure without memory') from err
    before = _status_kib('VmRSS')
    for _ in range(2):
        step()
    return max(0, _status_kib('VmHWM') - before) * 1024


def measure_peak_memory(spec: BenchmarkSpec, mode: str,
                        variant: Variant) -> int:
    """Peak memory of two steps, in bytes: CUDA's max allocated, or on CPU
    the peak-RSS growth of a separate (spawned) process, so that one row's
    allocations do not hide in another's. Includes allocator caching."""
    if spec.device.startswith('cuda'):
        step = _step(spec, mode, variant)
        torch.cuda.reset_peak_memory_stats()
        step()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated()
    with ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context('spawn')) as pool:
        return pool.submit(_memory_probe, spec, mode, variant,
                           torch.get_num_threads()).result()
