# Copyright (c) mmconformer contributors. All rights reserved.
"""What the CPU is, and the flags that decide bf16 and int8 speed: the one
reader of ``/proc/cpuinfo`` in the package."""
import platform
from typing import Dict, List, Optional

from .isa_cap import ISA_CAPS, isa_cap

__all__ = [
    'REPORTED_FLAGS', 'cpu_class', 'cpu_features', 'cpu_model_name',
    'has_native_bf16', 'has_int8_dot_product'
]

#: Flags reported, in this order, when the CPU has them: the AMX tiles
#: (bf16 and int8 matrix units), AVX512-BF16, the int8 dot-product
#: instructions (AVX512-VNNI, AVX-VNNI), and AVX-512 / AVX2.
REPORTED_FLAGS = ('amx_bf16', 'amx_int8', 'amx_tile', 'avx512_bf16',
                  'avx512_vnni', 'avx_vnni', 'avx512f', 'avx2')


def _cpuinfo() -> Dict[str, str]:
    """The first processor's ``key: value`` lines of /proc/cpuinfo (empty
    where there is none)."""
    info: Dict[str, str] = {}
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if not line.strip():
                    if info:
                        break
                    continue
                key, _, value = line.partition(':')
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def cpu_features(capped: bool = True) -> List[str]:
    """The :data:`REPORTED_FLAGS` this CPU has, read from /proc/cpuinfo
    (empty where it is absent); under an instruction-set cap
    (:func:`~.isa_cap.isa_cap`) only those the cap leaves, unless
    ``capped`` is False."""
    flags = set(_cpuinfo().get('flags', '').split())
    cap = isa_cap() if capped else None
    return [name for name in REPORTED_FLAGS if name in flags and
            (cap is None or name in ISA_CAPS[cap][1])]


def cpu_model_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what ``platform``
    knows."""
    return _cpuinfo().get('model name') or platform.processor() or \
        platform.machine()


def has_native_bf16() -> bool:
    """Whether the CPU computes bf16 products in hardware (AMX or
    AVX512-BF16); elsewhere oneDNN emulates bf16, slower than fp32."""
    flags = cpu_features()
    return 'amx_bf16' in flags or 'avx512_bf16' in flags


def has_int8_dot_product() -> bool:
    """Whether the CPU has int8 dot-product units (AMX-INT8, AVX512-VNNI or
    AVX-VNNI), which int8 inference needs to be faster than fp32."""
    return bool({'amx_int8', 'avx512_vnni', 'avx_vnni'} & set(cpu_features()))


def cpu_class() -> Optional[str]:
    """The x86 class of this CPU, as :data:`~.isa_cap.ISA_CAPS` names them
    (``'amx'``, ``'avx512_core_bf16'``, ``'avx512_core_vnni'``,
    ``'avx512_core'``, ``'avx2'``): the highest whose flag
    :func:`cpu_features` reports, so under a cap the cap's. None for a CPU
    without AVX2 (or not x86)."""
    flags = cpu_features()
    return next((name for name, (needed, *_) in reversed(ISA_CAPS.items())
                 if needed in flags), None)
