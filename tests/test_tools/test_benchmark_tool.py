"""tools/analysis_tools/benchmark.py, the thin command line."""
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
from _helpers import CONFIG_DIR, REPO_ROOT, load_tool, write_tiny_config

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark.py')
DEMO = osp.join(CONFIG_DIR, 'demo', 'conformer-tiny-p16_1xb32_shapes.py')


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True,
                          text=True, cwd=REPO_ROOT)


@pytest.mark.parametrize('args,match', [
    (['--arch', 'tiny', '--bogus'], 'unrecognized arguments: --bogus'),
    (['--arch', 'huge'], "invalid choice: 'huge'"),
    ([], 'either CONFIG or --arch'),
    (['--arch', 'tiny', '--dtype', 'fp64'], "invalid choice: 'fp64'"),
    (['--arch', 'tiny', '--dtype', 'int8'], 'is for our fast path: add '
     '--fast'),
    (['--arch', 'tiny', '--latency', '--batch-size', '8'], 'at batch 1'),
    (['--arch', 'tiny', '--latency', '--plot', 'x.png'], 'draws no plot'),
    (['--arch', 'tiny', '--batch-size', '0'], 'argument --batch-size: must '
     "be an int >= 1, got '0'"),
    (['--arch', 'tiny', '--device', 'tpu'], '--device must be'),
    (['missing.py'], 'config not found'),
    (['--arch', 'tiny', '--sweep', '--dtype', 'bf16'], 'drop --dtype'),
    (['--arch', 'tiny', '--warmup', '-1'], 'argument --warmup: must be an '
     "int >= 0, got '-1'"),
    (['--arch', 'tiny', '--sweep', '--fast'], 'drop --fast'),
    (['--arch', 'tiny', '--fast', '--mode', 'train'], 'inference only'),
    (['--arch', 'tiny', '--fast', '--compile'], 'compiles and uses'),
    (['--arch', 'tiny', '--profile-int8'], 'unrecognized arguments'),
])
def test_refuses_bad_options(args, match, capsys):
    tool = load_tool('analysis_tools/benchmark.py')
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(args)
    assert exit_info.value.code == 2
    assert match in capsys.readouterr().err


def test_fast_times_our_fast_path_against_mmpretrain_compiled_alike():
    from mmconformer.analysis.benchmark import Variant, build_spec
    spec = build_spec(arch='tiny', fast=True, dtype='bf16', compare=True)
    assert spec.variants == [
        Variant('mmconformer', 'bf16', True, 'fast'),
        Variant('mmpretrain', 'bf16', True, 'compiled')]
    assert spec.modes == ('infer', )
    spec = build_spec(arch='tiny', fast=True)
    assert spec.variants == [Variant('mmconformer', 'fp32', True, 'fast')]
    spec = build_spec(arch='tiny', latency=True, batch_size=8, repeats=7,
                      input_size=[64, 96], with_cp=True)
    assert (spec.batch_size, spec.modes, spec.repeats, spec.input_size) == (
        1, ('infer', ), 7, (64, 96))
    assert spec.model_cfg['backbone']['with_cp']
    assert spec.measure_memory
    assert not build_spec(arch='tiny', measure_memory=False).measure_memory


def test_refusal_messages(capsys):
    tool = load_tool('analysis_tools/benchmark.py')
    for args, match in [(['--arch', 'tiny', '--sweep', '--compare',
                          'mmpretrain'], 'drop --compare'),
                        (['--arch', 'tiny', '--input-size', '1', '2', '3'],
                         'one or two positive ints')]:
        with pytest.raises(SystemExit):
            tool.parse_args(args)
        assert match in capsys.readouterr().err


def test_every_option_has_help_and_shows_its_default(capsys):
    from _helpers import call_main
    tool = load_tool('analysis_tools/benchmark.py')
    code, out, _ = call_main(tool, capsys, '--help')
    assert code == 0
    text = ' '.join(out.split())
    parser_options = re.findall(r'^  (--[a-z-]+)', out, re.M)
    assert '--sweep' in parser_options and '--json' in parser_options
    for option, default in [('--patch-size', '16'), ('--batch-size', '8'),
                            ('--input-size', '[224]'), ('--device', 'cpu'),
                            ('--dtype', 'fp32'), ('--mode', 'both'),
                            ('--warmup', '2'), ('--repeats', '5'),
                            ('--json', 'None'), ('--plot', 'None')]:
        assert re.search(re.escape(option) + r'\b.*?\(default: ' +
                         re.escape(default) + r'\)', text), option
    # no option without help text
    for action in tool.build_parser()._actions:
        assert action.help, action.option_strings


@pytest.mark.slow
def test_any_classifier_config_json_plot_and_ratios(tmp_path):
    """The 6-class demo config (it failed with a size mismatch when
    mmpretrain's model was hard-coded to 1000 classes)."""
    out, plot = tmp_path / 'bench.json', tmp_path / 'bench.png'
    result = run(DEMO, '--compare', 'mmpretrain', '--batch-size', '1',
                 '--input-size', '64', '--warmup', '0', '--repeats', '1',
                 '--json', str(out), '--plot', str(plot))
    assert result.returncode == 0, result.stderr[-3000:]
    for mode in ('infer', 'train'):
        assert re.search(rf'mmconformer +cl +{mode} .* [0-9.]+x$',
                         result.stdout, re.M), result.stdout
    assert 'ratio: speed over mmpretrain fp32' in result.stdout
    # our output only: no third-party warnings, no init reports
    assert 'Warning' not in result.stderr
    assert 'init_weights' not in result.stdout + result.stderr
    data = json.loads(out.read_text())
    rows = data['results']
    assert {(r['impl'], r['mode']) for r in rows} == {
        ('mmconformer', 'infer'), ('mmpretrain', 'infer'),
        ('mmconformer', 'train'), ('mmpretrain', 'train')}
    for row in rows:
        assert row['img_per_s'] > 0 and row['peak_memory_mib'] > 0
        # the peak is the best of the model's own GEMMs: never exceeded
        assert 0 < row['fraction_of_peak'] <= 1
    # the peak is that of the steps, not of building the model: training
    # (activations, grads, AdamW state) needs more than inference
    memory = {(r['impl'], r['mode']): r['peak_memory_mib'] for r in rows}
    for impl in ('mmconformer', 'mmpretrain'):
        assert memory[(impl, 'train')] > 2 * memory[(impl, 'infer')]
    assert data['torch'] and data['machine'] and 'cpu_features' in data
    assert data['spec']['model_cfg']['head']['num_classes'] == 6
    assert plot.read_bytes().startswith(b'\x89PNG')


@pytest.mark.slow
def test_sweep_ranks_every_peer_in_one_run(tmp_path):
    """Eager settings of both, mmpretrain compiled with freezing, our fast
    path, onnxruntime and OpenVINO (where installed) on our export: one
    interleaved run (a 3-block model, so that compiling and exporting take
    seconds)."""
    pytest.importorskip('torchao')
    pytest.importorskip('onnxruntime')
    from mmconformer.utils import has_native_bf16, openvino_available
    openvino = [('mmconformer', s) for s in ['openvino'] +
                ['openvino-bf16'] * has_native_bf16() + ['openvino-int8']
                ] if openvino_available() else []
    config = write_tiny_config(tmp_path / 'tiny.py')
    out = tmp_path / 'sweep.json'
    result = run(str(config), '--sweep', '--mode', 'infer', '--batch-size',
                 '1', '--input-size', '64', '--warmup', '0', '--repeats',
                 '1', '--no-memory', '--json', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert [(r['impl'], r['setting']) for r in data['results']] == [
        ('mmconformer', 'cl'), ('mmconformer', 'cl+bf16'),
        ('mmpretrain', 'fp32'), ('mmpretrain', 'cl'),
        ('mmpretrain', 'bf16'), ('mmpretrain', 'cl+bf16'),
        ('mmpretrain', 'cl+bf16+compile'), ('mmconformer', 'fast-fp32'),
        ('mmconformer', 'fast-bf16'), ('mmconformer', 'fast-int8'),
        ('mmconformer', 'onnxrt'), ('mmconformer', 'onnxrt-int8')] + openvino
    # every row but the baseline, over mmpretrain's fp32 eager row
    labels = [f'{r["impl"]} {r["setting"]}' for r in data['results']]
    assert [r['numerator'] for r in data['ratios']] == [
        label for label in labels if label != 'mmpretrain fp32']
    assert {r['denominator'] for r in data['ratios']} == {'mmpretrain fp32'}
    speed = {f'{r["impl"]} {r["setting"]}': r['img_per_s']
             for r in data['results']}
    for ratio in data['ratios']:
        assert ratio['ratio'] == pytest.approx(
            speed[ratio['numerator']] / speed['mmpretrain fp32'])
    assert set(data['peaks']) == {'fp32', 'bf16', 'int8'}
    # --no-memory: recorded, and no row measured
    assert data['spec']['measure_memory'] is False
    assert not any('peak_memory_mib' in r for r in data['results'])
    # the compiled rows' first call includes compiling; ORT's does not
    first = {r['setting']: r['first_step_s'] for r in data['results']}
    assert first['fast-fp32'] > 10 * first['cl']
    assert all(0 < r['fraction_of_peak'] for r in data['results'])


def test_latency_at_batch_one(tmp_path, capsys):
    """p50 and p90 ms per image of each variant, the first call apart, and
    the table the docs render from the JSON."""
    from _helpers import call_main, load_benchmark_tables
    markdown_report = load_benchmark_tables().markdown_report
    config = write_tiny_config(tmp_path / 'tiny.py')
    out_json = tmp_path / 'latency.json'
    code, out, err = call_main(
        load_tool('analysis_tools/benchmark.py'), capsys, config,
        '--latency', '--compare', 'mmpretrain', '--input-size', '64',
        '--warmup', '1', '--repeats', '9', '--json', out_json)
    assert code == 0, err
    data = json.loads(out_json.read_text())
    assert data['spec']['batch_size'] == 1
    rows = data['results']
    assert [(r['impl'], r['setting']) for r in rows] == [
        ('mmconformer', 'cl'), ('mmpretrain', 'fp32')]
    for row in rows:
        assert 0 < row['p50_ms'] <= row['p90_ms'] and row['first_step_s'] > 0
    best = min(rows, key=lambda r: r['p50_ms'])
    (ratio, ) = data['ratios']
    assert ratio['denominator'] == 'mmpretrain fp32'
    assert ratio['ratio'] == pytest.approx(rows[1]['p50_ms'] /
                                           rows[0]['p50_ms'])
    assert re.search(r'mmconformer +cl +latency .* [0-9.]+x$', out, re.M)
    table = markdown_report(data)
    assert '| Row | p50 ms | p90 ms | first call s | x mmpretrain fp32 |' \
        in table
    assert f'Lowest p50: {best["impl"]} {best["setting"]}.' in table


def test_isa_cap_reruns_every_row_capped(tmp_path):
    """--isa avx2: the run restarts with the cap's variables; its JSON names
    the real CPU and the cap, and lists the flags the cap leaves."""
    from mmconformer.utils import cpu_features
    if 'avx2' not in cpu_features(capped=False):
        pytest.skip('this CPU has no AVX2 to cap to')
    config = write_tiny_config(tmp_path / 'tiny.py')
    out = tmp_path / 'capped.json'
    result = run(str(config), '--isa', 'avx2', '--compare', 'mmpretrain',
                 '--mode', 'infer', '--input-size', '64', '--warmup', '0',
                 '--repeats', '1', '--no-memory', '--json', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert ', instructions capped to avx2, ' in data['machine']
    assert data['cpu_features'] == ['avx2']
    assert '--isa avx2' in data['command']
    assert 'instructions capped to avx2' in result.stdout + result.stderr


def test_isa_cap_above_the_cpu_is_refused():
    from mmconformer.utils import cpu_features
    if 'amx_tile' in cpu_features(capped=False):
        pytest.skip('this CPU has AMX: every cap is below it')
    result = run('--arch', 'tiny', '--isa', 'amx')
    assert result.returncode == 1
    assert 'this CPU has no amx_tile, so it cannot run as amx' in \
        result.stderr
