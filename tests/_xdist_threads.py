"""A pytest plugin for ``make test``, which runs the suite in pytest-xdist
workers: each worker runs torch on its share of the threads and passes that
on to the processes its tests start (two workers on two cores would
otherwise run four busy threads). ``tests/conftest.py`` loads it."""
import os
from typing import Optional

import torch


def threads_per_worker(threads: int, workers: Optional[str]) -> Optional[int]:
    """A worker's share of ``threads`` (at least 1) when ``workers``
    (``PYTEST_XDIST_WORKER_COUNT``) is set, else None (no xdist)."""
    return max(1, threads // int(workers)) if workers else None


def pytest_configure(config):
    threads = threads_per_worker(torch.get_num_threads(),
                                 os.environ.get('PYTEST_XDIST_WORKER_COUNT'))
    if threads is not None:
        torch.set_num_threads(threads)
        os.environ['OMP_NUM_THREADS'] = os.environ['MKL_NUM_THREADS'] = \
            str(threads)
