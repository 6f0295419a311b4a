# Copyright (c) mmconformer contributors. All rights reserved.
"""Capping the instruction set, to measure an older x86 CPU class on a newer
one: the variables that oneDNN, MKL, ATen and Inductor, and OpenVINO read
when a process starts. A cap removes instructions only; caches, clocks and
the microarchitecture stay the machine's."""
import getpass
import os
import os.path as osp
import subprocess
import tempfile
import sys
from typing import Dict, Optional, Sequence

__all__ = ['ISA_CAPS', 'ISA_CAP_VARIABLE', 'isa_cap', 'isa_cap_environment',
           'run_capped']

#: Set in a capped process: the cap's name.
ISA_CAP_VARIABLE = 'MMCONFORMER_ISA_CAP'

#: Each cap: the flag a CPU needs for it, the CPU flags it leaves, and
#: oneDNN's (and OpenVINO's), MKL's and ATen's names for it.
ISA_CAPS = {
    'avx2': ('avx2', ('avx2', ), 'AVX2', 'AVX2', 'avx2'),
    'avx512_core': ('avx512f', ('avx512f', 'avx2'), 'AVX512_CORE', 'AVX512',
                    'avx512'),
    'avx512_core_vnni': ('avx512_vnni',
                         ('avx512_vnni', 'avx_vnni', 'avx512f', 'avx2'),
                         'AVX512_CORE_VNNI', 'AVX512_E1', 'avx512'),
    'avx512_core_bf16': ('avx512_bf16', ('avx512_bf16', 'avx512_vnni',
                                         'avx_vnni', 'avx512f', 'avx2'),
                         'AVX512_CORE_BF16', 'AVX512_E3', 'avx512'),
    'amx': ('amx_tile', ('amx_bf16', 'amx_int8', 'amx_tile', 'avx512_bf16',
                         'avx512_vnni', 'avx_vnni', 'avx512f', 'avx2'),
            'AVX512_CORE_AMX', 'AVX512_E4', 'avx512'),
}


def isa_cap() -> Optional[str]:
    """The cap this process runs under (:data:`ISA_CAP_VARIABLE`), or
    None."""
    cap = os.environ.get(ISA_CAP_VARIABLE) or None
    if cap is not None and cap not in ISA_CAPS:
        raise ValueError(f'{ISA_CAP_VARIABLE}={cap!r}: the caps are '
                         f'{", ".join(ISA_CAPS)}')
    return cap


def isa_cap_environment(cap: str, flags: Sequence[str]) -> Dict[str, str]:
    """The variables that start a process under ``cap`` on a CPU with
    ``flags`` (its uncapped :func:`~.cpu_features`).

    Raises:
        ValueError: an unknown cap, or one above the CPU (a cap can only
            remove instructions).
    """
    if cap not in ISA_CAPS:
        raise ValueError(f'unknown instruction-set cap {cap!r}: choose from '
                         f'{", ".join(ISA_CAPS)}')
    needed, _, onednn, mkl, aten = ISA_CAPS[cap]
    if needed not in flags:
        raise ValueError(f'this CPU has no {needed}, so it cannot run as '
                         f'{cap}: a cap only removes instructions (the CPU '
                         f'has {", ".join(flags) or "none of them"})')
    # Inductor's cache keys do not hold the caps, and code compiled (and
    # weights packed) under one cap crashes when loaded under another: each
    # cap gets a cache of its own
    cache = os.environ.get('TORCHINDUCTOR_CACHE_DIR') or osp.join(
        tempfile.gettempdir(), f'torchinductor_{getpass.getuser()}')
    return {ISA_CAP_VARIABLE: cap, 'ONEDNN_MAX_CPU_ISA': onednn,
            'OV_CPU_MAX_ISA': onednn, 'MKL_ENABLE_INSTRUCTIONS': mkl,
            'ATEN_CPU_CAPABILITY': aten,
            'TORCHINDUCTOR_CACHE_DIR': f'{cache}_isa_{cap}'}


def run_capped(script: str, argv: Sequence[str], cap: str) -> Optional[int]:
    """For a command-line tool with an ``--isa`` option: unless ``cap`` is
    ``'native'`` or this process already runs under it, run ``python
    script *argv`` again under ``cap`` (the variables must be set before
    the libraries load) and return its exit status; else None.

    Raises:
        ToolError: a cap this CPU cannot run as.
    """
    if cap == 'native' or isa_cap() == cap:
        return None
    from .cli import ToolError
    from .cpu_features import cpu_features
    try:
        env = isa_cap_environment(cap, cpu_features(capped=False))
    except ValueError as err:
        raise ToolError(f'--isa {cap}: {err}') from err
    return subprocess.run([sys.executable, script, *argv],
                          env=dict(os.environ, **env)).returncode
