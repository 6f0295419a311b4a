# Copyright (c) mmconformer contributors. All rights reserved.
"""The one timing loop of the benchmark."""
import time
from typing import Callable, Dict, Hashable, List

import torch

__all__ = ['synchronize', 'time_interleaved']


def synchronize(device: str) -> None:
    """Wait for the device's queued work (CUDA); a no-op on CPU."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_interleaved(steps: Dict[Hashable, Callable[[], object]],
                     device: str, warmup: int,
                     repeats: int) -> Dict[Hashable, List[float]]:
    """Run the steps round-robin (``a b a b ...``) after ``warmup`` untimed
    rounds, so that slow drifts of the machine hit every step alike.

    Args:
        steps (dict): Callables to time, by any key.
        device (str): Their device, synchronised around every call.
        warmup (int): Untimed rounds first.
        repeats (int): Timed rounds.

    Returns:
        dict: The seconds of each timed call, per key, in order.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    synchronize(device)
    times: Dict[Hashable, List[float]] = {key: [] for key in steps}
    for _ in range(repeats):
        for key, step in steps.items():
            synchronize(device)
            start = time.perf_counter()
            step()
            synchronize(device)
            times[key].append(time.perf_counter() - start)
    return times
