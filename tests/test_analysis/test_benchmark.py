"""mmconformer.analysis.benchmark: the pieces of the benchmark tool."""
import functools
import os.path as osp

import pytest
import torch
from _helpers import CONFIG_DIR, TINY_ARCH, TINY_PATCH32_CLASSIFIER
from mmengine.config import Config

from _helpers import load_benchmark_tables

from mmconformer.analysis.benchmark import (BaseBenchmark, BenchmarkSpec,
                                            Variant, build_models,
                                            classifier_cfg_from_arch,
                                            make_step, reference_cfg,
                                            speed_ratios)
from mmconformer.utils import cpu_features, machine_description

DEMO = osp.join(CONFIG_DIR, 'demo', 'conformer-tiny-p16_1xb32_shapes.py')
CUSTOM = TINY_PATCH32_CLASSIFIER


def test_reference_is_built_from_the_same_config():
    """The demo config has 6 classes and the custom arch a dict: mmpretrain's
    model follows both (it was hard-coded to 1000 classes and named archs)."""
    demo = reference_cfg(Config.fromfile(DEMO).model.to_dict())
    assert demo['head']['num_classes'] == 6
    assert demo['backbone']['arch'] == 'tiny'
    assert demo['backbone']['patch_size'] == 16  # ours; mmpretrain: also 16
    custom = reference_cfg(CUSTOM)
    assert custom['backbone'] == dict(
        type='Conformer', arch=TINY_ARCH, patch_size=32, base_channels=16,
        mlp_ratio=4., qkv_bias=True, with_cls_token=True, drop_path_rate=0.,
        norm_eval=False, frozen_stages=-1)
    assert custom['head'] == dict(type='ConformerHead', num_classes=3,
                                  in_channels=[64, 32])


def test_pair_has_same_weights_and_logits():
    models = build_models(CUSTOM)
    assert type(models['mmpretrain'].backbone).__name__ == 'Conformer'
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ours = sum(models['mmconformer'].eval()(x, mode='tensor'))
        ref = sum(models['mmpretrain'].eval()(x, mode='tensor'))
    assert ours.shape == (2, 3)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('arch,patch,widths', [('tiny', 16, [256, 384]),
                                               ('small', 32, [1024, 384]),
                                               ('base', 16, [1536, 576])])
def test_from_arch_matches_the_published_widths(arch, patch, widths):
    """The head's input widths of the published models: the CNN branch's
    last stage, 256 * channel_ratio (1, 4, 6), and the transformer's
    embedding (384, 384, 576)."""
    cfg = classifier_cfg_from_arch(arch, patch)
    assert cfg['head']['in_channels'] == widths
    assert cfg['backbone'] == dict(type='ConformerBackbone', arch=arch,
                                   patch_size=patch)


def test_dense_backbone_is_refused():
    cfg = dict(CUSTOM, backbone=dict(CUSTOM['backbone'], out_type='featmap'))
    with pytest.raises(ValueError, match="out_type='cls_token'"):
        reference_cfg(cfg)


def test_training_step_updates_weights_and_interleaves():
    model = build_models(CUSTOM, {'mmconformer'})['mmconformer']
    x, y = torch.randn(2, 3, 64, 64), torch.tensor([1, 2])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    step = make_step(model.train(), 'train', x, y, 'cpu', 'fp32', opt)
    before = model.head.conv_cls_head.weight.clone()
    order = []
    bench = BaseBenchmark(BenchmarkSpec(CUSTOM, warmup=1, repeats=2))
    timed = bench.time_steps({'a': lambda: (order.append('a'), step()),
                              'b': lambda: order.append('b')})
    # the first call, one warm-up round, two timed rounds: every step once
    # per round
    assert [sorted(order[i:i + 2]) for i in range(0, 8, 2)] == \
        [['a', 'b']] * 4
    assert len(timed['times']['a']) == len(timed['times']['b']) == 2
    assert set(timed['first']) == {'a', 'b'}
    assert not torch.equal(before, model.head.conv_cls_head.weight)


def test_timed_rounds_change_the_order_the_same_way_every_run():
    """No row always follows the same row: what one step leaves behind
    would fall on the same neighbour in every round."""
    def orders():
        calls = []
        bench = BaseBenchmark(BenchmarkSpec(CUSTOM, warmup=1, repeats=8))
        bench.time_steps({k: functools.partial(calls.append, k)
                          for k in 'abcd'})
        return [''.join(calls[i:i + 4]) for i in range(0, len(calls), 4)]

    first, warmup, *timed = orders()
    assert first == warmup == 'abcd'  # untimed calls in the rows' order
    assert len(timed) == 8
    assert all(sorted(r) == list('abcd') for r in timed)
    successors = {r[r.index('d') + 1] for r in timed if r[-1] != 'd'}
    assert len(set(timed)) > 2 and len(successors) > 1
    assert orders() == [first, warmup, *timed]


def test_mmpretrains_model_is_built_only_when_a_variant_runs_it():
    assert set(build_models(CUSTOM, {'mmconformer'})) == {'mmconformer'}
    spec = BenchmarkSpec(CUSTOM, variants=[Variant('mmconformer', 'fp32',
                                                   True, 'fast')])
    assert set(BaseBenchmark(spec).models) == {'mmconformer'}


def test_throughput_rows_without_memory():
    """``measure_memory=False``: no row gets a peak memory (measuring it
    spawns a process per eager row; the benchmark tool's test covers it)."""
    from mmconformer.analysis.benchmark import ThroughputBenchmark
    spec = BenchmarkSpec(CUSTOM, [Variant('mmconformer', 'fp32', True)],
                         batch_size=1, input_size=(64, 64), modes=('infer', ),
                         warmup=0, repeats=1, measure_memory=False)
    (row, ) = ThroughputBenchmark(spec).run()['results']
    assert row['img_per_s'] > 0 and 'peak_memory_mib' not in row


def test_latency_rows_are_timed_at_the_specs_batch(monkeypatch):
    """Batch 1 is what ``build_spec(latency=True)`` asks for; a spec of
    another batch is timed at that batch, inference only."""
    from mmconformer.analysis.benchmark import LatencyBenchmark, steps
    built = []

    def recording_make_step(model, mode, inputs, *args, **kwargs):
        built.append((mode, inputs.shape[0]))
        return make_step(model, mode, inputs, *args, **kwargs)

    monkeypatch.setattr(steps, 'make_step', recording_make_step)
    spec = BenchmarkSpec(CUSTOM, [Variant('mmconformer', 'fp32', True)],
                         batch_size=2, input_size=(64, 64), warmup=0,
                         repeats=3, measure_memory=False)
    (row, ) = LatencyBenchmark(spec).run()['results']
    assert built == [('infer', 2)]
    assert (row['mode'], row['setting']) == ('latency', 'cl')
    assert 0 < row['p50_ms'] <= row['p90_ms']


def test_onnxruntime_rows_leave_the_cores_to_the_next_row():
    """Interleaved, a spinning onnxruntime session would keep the cores busy
    after its call, and the row timed next would pay for it."""
    pytest.importorskip('onnxruntime')
    pytest.importorskip('onnxscript')
    from mmconformer.analysis.benchmark import exported_sessions
    model = build_models(CUSTOM, {'mmconformer'})['mmconformer'].eval()
    session = exported_sessions('onnxruntime', model,
                                torch.randn(1, 3, 64, 64), ['fp32'])['fp32']
    options = session.get_session_options()
    assert options.get_session_config_entry(
        'session.intra_op.allow_spinning') == '0'
    assert options.intra_op_num_threads == torch.get_num_threads()
    pixels = torch.zeros(1, 3, 64, 64).numpy()
    assert session.run(None, {'input': pixels})[0].shape == (1, 3)


def _row(impl, dtype, cl, img_per_s, runtime='eager', mode='infer'):
    return dict(impl=impl, dtype=dtype, mode=mode, runtime=runtime,
                setting=Variant(impl, dtype, cl, runtime).setting,
                img_per_s=img_per_s)


def test_every_row_is_divided_by_one_baseline():
    rows = [_row('mmconformer', 'fp32', True, 13.0),
            _row('mmconformer', 'bf16', True, 25.0),
            _row('mmpretrain', 'fp32', False, 10.0),
            _row('mmpretrain', 'bf16', True, 20.0),
            _row('mmconformer', 'bf16', True, 30.0, 'fast'),
            _row('mmconformer', 'fp32', True, 4.0, mode='train'),
            _row('mmpretrain', 'fp32', False, 5.0, mode='train')]
    # default: mmpretrain's fp32 eager model, per mode
    ratios = {(r['mode'], r['numerator']): (r['denominator'], r['ratio'])
              for r in speed_ratios(rows)}
    assert ratios == {
        ('infer', 'mmconformer cl'): ('mmpretrain fp32', 1.3),
        ('infer', 'mmconformer cl+bf16'): ('mmpretrain fp32', 2.5),
        ('infer', 'mmpretrain cl+bf16'): ('mmpretrain fp32', 2.0),
        ('infer', 'mmconformer fast-bf16'): ('mmpretrain fp32', 3.0),
        ('train', 'mmconformer cl'): ('mmpretrain fp32', 0.8)}
    # a named baseline
    named = {r['numerator']: r['ratio']
             for r in speed_ratios(rows, 'mmconformer cl+bf16')}
    assert named['mmconformer fast-bf16'] == pytest.approx(1.2)
    assert named['mmpretrain fp32'] == pytest.approx(0.4)
    # no mmpretrain fp32 row: the first mmpretrain row; none: the first row
    assert speed_ratios(rows[3:5])[0]['denominator'] == 'mmpretrain cl+bf16'
    assert speed_ratios(rows[:2])[0]['denominator'] == 'mmconformer cl'


def test_latency_ratios_are_the_baselines_p50_over_the_rows():
    rows = [dict(impl='mmconformer', setting='fast-bf16', mode='latency',
                 p50_ms=40.0),
            dict(impl='mmpretrain', setting='fp32', mode='latency',
                 p50_ms=120.0)]
    (ratio, ) = speed_ratios(rows)
    assert (ratio['numerator'], ratio['ratio']) == \
        ('mmconformer fast-bf16', pytest.approx(3.0))


def test_machine_description_names_the_bf16_flags(monkeypatch, tmp_path):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: '
                       'fpu avx2 avx512f avx512_vnni avx512_bf16 amx_tile '
                       'amx_bf16 amx_int8\n\nprocessor\t: 1\nmodel name\t: '
                       'Another\n')
    real_open = open
    monkeypatch.setattr(
        'builtins.open', lambda path, *a, **k: real_open(
            cpuinfo if path == '/proc/cpuinfo' else path, *a, **k))
    assert cpu_features() == ['amx_bf16', 'amx_int8', 'amx_tile',
                              'avx512_bf16', 'avx512_vnni', 'avx512f', 'avx2']
    assert machine_description('cpu').startswith(
        'Some CPU (amx_bf16, amx_int8, amx_tile, avx512_bf16, avx512_vnni, '
        'avx512f, avx2), ')


def test_select_variants_for_each_kind_of_run(monkeypatch):
    from mmconformer.analysis.benchmark import (Variant, select_variants,
                                                variants)

    # eager: ours in its own layout; mmpretrain's in the one asked for
    assert select_variants(dtype='bf16', ours_channels_last=False) == [
        Variant('mmconformer', 'bf16', False)]
    assert select_variants(compare=True, channels_last=True) == [
        Variant('mmconformer', 'fp32', True),
        Variant('mmpretrain', 'fp32', True)]
    # fast: mmpretrain compiled alike
    assert select_variants(fast=True, compare=True, dtype='bf16') == [
        Variant('mmconformer', 'bf16', True, 'fast'),
        Variant('mmpretrain', 'bf16', True, 'compiled')]
    # int8 fast: mmpretrain's model has no int8 switch: its best, bf16
    assert select_variants(fast=True, compare=True, dtype='int8') == [
        Variant('mmconformer', 'int8', True, 'fast'),
        Variant('mmpretrain', 'bf16', True, 'compiled')]
    # sweep: every peer; int8, onnxruntime and OpenVINO on CPU only, when
    # installed; OpenVINO's bf16 where the CPU computes bf16
    for name in ('onnxruntime_available', 'torchao_available',
                 'openvino_available', 'has_native_bf16'):
        monkeypatch.setattr(variants, name, lambda: True)
    sweep = select_variants(sweep=True, dtype='bf16', compare=True)
    assert [(v.impl, v.setting) for v in sweep] == [
        ('mmconformer', 'cl'), ('mmconformer', 'cl+bf16'),
        ('mmpretrain', 'fp32'), ('mmpretrain', 'cl'),
        ('mmpretrain', 'bf16'), ('mmpretrain', 'cl+bf16'),
        ('mmpretrain', 'cl+bf16+compile'), ('mmconformer', 'fast-fp32'),
        ('mmconformer', 'fast-bf16'), ('mmconformer', 'fast-int8'),
        ('mmconformer', 'onnxrt'), ('mmconformer', 'onnxrt-int8'),
        ('mmconformer', 'openvino'), ('mmconformer', 'openvino-bf16'),
        ('mmconformer', 'openvino-int8')]
    assert select_variants(sweep=True, device='cuda')[-1].setting == \
        'fast-bf16'
    monkeypatch.setattr(variants, 'has_native_bf16', lambda: False)
    assert [v.setting for v in select_variants(sweep=True)][-2:] == [
        'openvino', 'openvino-int8']
    # under an instruction-set cap without bf16: no bf16 rows, mmpretrain
    # compiled in fp32, and under any cap no onnxruntime rows
    monkeypatch.setattr(variants, 'isa_cap', lambda: 'avx2')
    assert [(v.impl, v.setting) for v in select_variants(sweep=True)] == [
        ('mmconformer', 'cl'), ('mmpretrain', 'fp32'), ('mmpretrain', 'cl'),
        ('mmpretrain', 'cl+compile'), ('mmconformer', 'fast-fp32'),
        ('mmconformer', 'fast-int8'), ('mmconformer', 'openvino'),
        ('mmconformer', 'openvino-int8')]
    monkeypatch.setattr(variants, 'isa_cap', lambda: None)
    for name in ('onnxruntime_available', 'torchao_available',
                 'openvino_available'):
        monkeypatch.setattr(variants, name, lambda: False)
    assert [v.setting for v in select_variants(sweep=True)][-2:] == [
        'fast-fp32', 'fast-bf16']


def _report(**extra):
    """A minimal JSON report of a plain comparison, as the tool writes."""
    rows = [dict(impl=impl, setting=setting, mode='infer', dtype='fp32',
                 runtime='eager', compile=False, batch_size=8,
                 input_size=[224, 224], img_per_s=ips, gflops_per_s=gf,
                 fraction_of_peak=fr, first_step_s=0.5,
                 peak_memory_mib=mem)
            for impl, setting, ips, gf, fr, mem in [
                ('mmconformer', 'cl', 13.0, 130.0, 0.6, 50.0),
                ('mmpretrain', 'fp32', 10.0, 105.0, 0.48, 120.0)]]
    return dict(dict(torch='2.14.1', machine='Some CPU (avx512f), 2 threads',
                     cpu_features=['avx512_bf16', 'avx512_vnni', 'avx512f'],
                     date='2026-12-04', command='python tools/x.py',
                     spec=dict(batch_size=8, repeats=5), results=rows,
                     peaks=dict(fp32=dict(gflops_per_s=217.3, op='x'))),
                **extra)


def test_markdown_report_of_a_comparison():
    markdown_report = load_benchmark_tables().markdown_report
    text = markdown_report(_report())
    assert 'Machine: Some CPU (avx512f), 2 threads; AMX no, AVX512-BF16 ' \
        'yes, AVX512-VNNI yes, AVX-VNNI no; torch 2.14.1; 2026-12-04.' in text
    assert 'GEMM peak (the best of the model\'s own GEMMs): fp32 217 ' \
        'GFLOP/s.' in text
    assert 'Command: `python tools/x.py`' in text
    assert '| mmpretrain fp32 | infer | 10.00 | 105 | 48% | 120 | ' \
        'baseline |' in text
    # the ratio is computed from the rows, not copied from the file
    assert '| x mmpretrain fp32 |' in text
    assert '| mmconformer cl | infer | 13.00 | 130 | 60% | 50 | 1.30x |' \
        in text
    with pytest.raises(ValueError, match='not a benchmark'):
        markdown_report(dict(images=3))


def test_markdown_compares_our_best_with_openvinos_best():
    report = _report()
    row = report['results'][0]
    extra = [dict(row, setting=setting, runtime=runtime, img_per_s=ips)
             for setting, runtime, ips in [
                 ('fast-int8', 'fast', 32.0), ('onnxrt', 'onnxruntime', 50.0),
                 ('openvino', 'openvino', 25.0),
                 ('openvino-int8', 'openvino', 20.0)]]
    markdown_report = load_benchmark_tables().markdown_report
    assert 'Against OpenVINO' not in markdown_report(report)
    report['results'] += extra
    # onnxruntime is neither ours nor OpenVINO's
    assert 'Against OpenVINO: our best (fast-int8, 32.0 img/s) over ' \
        "OpenVINO's best (openvino, 25.0 img/s): 1.28x." in \
        markdown_report(report)
    for r, ms in zip(report['results'], (80.0, 99.0, 44.0, 30.0, 68.0, 64.0)):
        r.update(mode='latency', p50_ms=ms, p90_ms=ms)
    assert 'Against OpenVINO: our lowest p50 (fast-int8, 44.0 ms) over ' \
        "OpenVINO's lowest p50 (openvino-int8, 64.0 ms): 0.69x." in \
        markdown_report(report)


def test_markdown_report_of_fast_path_numerics():
    markdown_report = load_benchmark_tables().markdown_report
    text = markdown_report(dict(
        images=300, top1_agreement=0.99, max_rel_diff=0.0154,
        reference_top1=0.94, candidate_top1=0.9367, dtype='bf16',
        config='configs/demo/x.py', checkpoint='w/epoch_7.pth'))
    assert '| top-1 agreement with the fp32 eager model | 99.00% |' in text
    assert '| largest relative logit difference | 1.54e-02 |' in text
    assert '| top-1, fast path | 93.67% |' in text


def test_generated_tables_are_replaced_between_their_markers(tmp_path):
    import json

    tables = load_benchmark_tables()
    markdown_report = tables.markdown_report
    render_generated_tables = tables.render_generated_tables
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'r.json').write_text(json.dumps(_report()))
    doc = ('# Title\n\nprose\n<!-- benchmark-table: docs/r.json -->\n'
           'stale table\n<!-- end benchmark-table -->\nmore prose\n')
    new = render_generated_tables(doc, str(tmp_path))
    assert new == ('# Title\n\nprose\n<!-- benchmark-table: docs/r.json -->\n'
                   + markdown_report(_report()) +
                   '\n<!-- end benchmark-table -->\nmore prose\n')
    assert render_generated_tables(new, str(tmp_path)) == new
    with pytest.raises(FileNotFoundError):
        render_generated_tables(doc.replace('r.json', 'none.json'),
                                str(tmp_path))
