"""Instruction-set caps: the variables each cap sets, the flags it leaves
to the rest of the package, and the refusal of a cap above the CPU."""
import pytest

from mmconformer.utils import (ISA_CAPS, cpu_class, cpu_features,
                               has_int8_dot_product,
                               has_native_bf16, isa_cap, isa_cap_environment,
                               machine_description)
from mmconformer.utils.isa_cap import ISA_CAP_VARIABLE

AMX_CPU = ['amx_bf16', 'amx_int8', 'amx_tile', 'avx512_bf16', 'avx512_vnni',
           'avx512f', 'avx2']


@pytest.fixture
def amx_cpu(monkeypatch, tmp_path):
    """/proc/cpuinfo of an AMX machine."""
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: '
                       'fpu ' + ' '.join(AMX_CPU) + '\n')
    real_open = open
    monkeypatch.setattr(
        'builtins.open', lambda path, *a, **k: real_open(
            cpuinfo if path == '/proc/cpuinfo' else path, *a, **k))
    monkeypatch.delenv(ISA_CAP_VARIABLE, raising=False)
    return monkeypatch


@pytest.mark.parametrize('cap,onednn,mkl,aten', [
    ('avx2', 'AVX2', 'AVX2', 'avx2'),
    ('avx512_core', 'AVX512_CORE', 'AVX512', 'avx512'),
    ('avx512_core_vnni', 'AVX512_CORE_VNNI', 'AVX512_E1', 'avx512'),
    ('avx512_core_bf16', 'AVX512_CORE_BF16', 'AVX512_E3', 'avx512'),
    ('amx', 'AVX512_CORE_AMX', 'AVX512_E4', 'avx512'),
])
def test_each_cap_sets_every_library(monkeypatch, cap, onednn, mkl, aten):
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', '/cache/inductor')
    assert isa_cap_environment(cap, AMX_CPU) == {
        ISA_CAP_VARIABLE: cap, 'ONEDNN_MAX_CPU_ISA': onednn,
        'OV_CPU_MAX_ISA': onednn, 'MKL_ENABLE_INSTRUCTIONS': mkl,
        'ATEN_CPU_CAPABILITY': aten,
        # code compiled under one cap must not be loaded under another
        'TORCHINDUCTOR_CACHE_DIR': f'/cache/inductor_isa_{cap}'}
    monkeypatch.delenv('TORCHINDUCTOR_CACHE_DIR')
    assert isa_cap_environment(cap, AMX_CPU)['TORCHINDUCTOR_CACHE_DIR'] \
        .endswith(f'_isa_{cap}')


@pytest.mark.parametrize('cap,flags,bf16,int8', [
    ('avx2', ['avx2'], False, False),
    ('avx512_core', ['avx512f', 'avx2'], False, False),
    ('avx512_core_vnni', ['avx512_vnni', 'avx512f', 'avx2'], False, True),
    ('avx512_core_bf16', ['avx512_bf16', 'avx512_vnni', 'avx512f', 'avx2'],
     True, True),
    ('amx', AMX_CPU, True, True),
])
def test_a_capped_process_sees_only_the_caps_flags(amx_cpu, cap, flags,
                                                   bf16, int8):
    assert cpu_features() == AMX_CPU and isa_cap() is None
    assert cpu_class() == 'amx'
    amx_cpu.setenv(ISA_CAP_VARIABLE, cap)
    assert isa_cap() == cap and cpu_class() == cap
    assert cpu_features() == flags
    assert cpu_features(capped=False) == AMX_CPU
    assert (has_native_bf16(), has_int8_dot_product()) == (bf16, int8)
    # the machine line keeps the real CPU and names the cap
    assert machine_description('cpu').startswith(
        f'Some Xeon ({", ".join(AMX_CPU)}), instructions capped to {cap}, ')


def test_a_cap_only_removes_instructions():
    with pytest.raises(ValueError, match='this CPU has no amx_tile, so it '
                       'cannot run as amx'):
        isa_cap_environment('amx', ['avx512_bf16', 'avx512f', 'avx2'])
    with pytest.raises(ValueError, match='unknown instruction-set cap '
                       "'sse4'.*avx2, avx512_core"):
        isa_cap_environment('sse4', AMX_CPU)


def test_a_bad_cap_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv(ISA_CAP_VARIABLE, 'avx3')
    with pytest.raises(ValueError, match="MMCONFORMER_ISA_CAP='avx3'"):
        isa_cap()
    assert set(ISA_CAPS) == {'avx2', 'avx512_core', 'avx512_core_vnni',
                             'avx512_core_bf16', 'amx'}


@pytest.mark.parametrize('flags,expected', [
    ('avx512f avx2 avx_vnni', 'avx512_core'),
    ('avx2 avx_vnni', 'avx2'),
    ('sse4_2', None),
])
def test_the_cpu_class_is_the_highest_the_flags_reach(monkeypatch, tmp_path,
                                                      flags, expected):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text(f'processor\t: 0\nflags\t\t: fpu {flags}\n')
    real_open = open
    monkeypatch.setattr(
        'builtins.open', lambda path, *a, **k: real_open(
            cpuinfo if path == '/proc/cpuinfo' else path, *a, **k))
    monkeypatch.delenv(ISA_CAP_VARIABLE, raising=False)
    assert cpu_class() == expected
