# Copyright (c) mmconformer contributors. All rights reserved.
"""Distributed start-up for machines without CUDA."""
import torch
import torch.distributed as dist


def init_cpu_process_group(launcher: str) -> bool:
    """Start a gloo process group for ``launcher='pytorch'`` without CUDA.

    mmengine's pytorch launcher calls ``torch.cuda.set_device`` before
    ``init_process_group``, so it fails on CPU-only machines even with gloo.
    Starting the group here first makes mmengine's Runner find it
    initialised and use it. With CUDA, or with another launcher, this does
    nothing and the standard mmengine path runs.

    Returns:
        bool: whether a group was started.
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or \
            dist.is_initialized():
        return False
    dist.init_process_group(backend='gloo')
    return True
