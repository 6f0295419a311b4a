# Copyright (c) mmconformer contributors. All rights reserved.
"""Which dtype the fast path runs in when asked for ``'auto'``: on a CPU,
the one the benchmark tables of its class (``docs/en/benchmarks.md``,
"Every CPU class") measured fastest."""
from typing import Optional, Tuple

import torch

from ..utils import cpu_class

__all__ = ['RECOMMENDED_DTYPES', 'int8_advice', 'recommended_dtype']

#: CPU class (:func:`~mmconformer.utils.cpu_class`) -> the fastest dtype of
#: our fast path at batch 8 in that class's table, and the fastest without
#: int8 (which needs calibration images). On AMX, bf16 is as fast as int8
#: and more accurate.
RECOMMENDED_DTYPES = {
    'amx': ('bf16', 'bf16'),
    'avx512_core_bf16': ('int8', 'bf16'),
    'avx512_core_vnni': ('int8', 'fp32'),
    'avx512_core': ('int8', 'fp32'),
    'avx2': ('int8', 'fp32'),
}


def recommended_dtype(device: torch.device,
                      calibrated: bool) -> Tuple[str, str]:
    """The dtype ``optimize_for_inference(dtype='auto')`` runs in, and why.

    Args:
        device (torch.device): Where the model lives. An accelerator gets
            ``'bf16'`` (which falls back to fp16 where the GPU lacks bf16).
        calibrated (bool): Whether calibration images were given, which
            int8 needs.

    Returns:
        tuple: ``(dtype, reason)``.
    """
    if device.type != 'cpu':
        return 'bf16', f'auto: bf16 on {device.type}'
    name = cpu_class()
    if name is None:
        return 'fp32', 'auto: fp32 on a CPU without AVX2 (no table)'
    best, best_float = RECOMMENDED_DTYPES[name]
    if best == 'int8' and not calibrated:
        return best_float, (f'auto: {best_float}, the fastest on {name} '
                            'without calibration images (int8 is faster '
                            'there: give calibration images)')
    return best, f'auto: {best}, the fastest on {name} in the tables'


def int8_advice() -> Optional[str]:
    """Where int8 does not pay on this CPU's class (the tables measured
    another dtype as fast or faster), a line that says so; else None."""
    name = cpu_class()
    best = RECOMMENDED_DTYPES.get(name, ('int8', ))[0]
    if best == 'int8':
        return None
    return (f'int8 is not the fastest on {name}: the benchmark tables '
            f'recommend {best} there, as fast and more accurate')
