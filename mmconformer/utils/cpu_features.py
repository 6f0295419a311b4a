# Copyright (c) mmconformer contributors. All rights reserved.
"""The CPU flags that decide bf16 speed."""
from typing import List

__all__ = ['cpu_features', 'has_native_bf16']

#: Flags reported, in this order, when the CPU has them.
REPORTED_FLAGS = ('amx_bf16', 'amx_tile', 'avx512_bf16', 'avx512f', 'avx2')


def cpu_features() -> List[str]:
    """AMX and AVX512-BF16 (and AVX-512 / AVX2), read from /proc/cpuinfo
    (empty where it is absent)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    flags = set(line.split(':', 1)[1].split())
                    return [name for name in REPORTED_FLAGS if name in flags]
    except OSError:
        pass
    return []


def has_native_bf16() -> bool:
    """Whether the CPU computes bf16 products in hardware (AMX or
    AVX512-BF16); elsewhere oneDNN emulates bf16, slower than fp32."""
    flags = cpu_features()
    return 'amx_bf16' in flags or 'avx512_bf16' in flags
