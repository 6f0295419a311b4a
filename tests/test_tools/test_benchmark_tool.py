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
    (['--arch', 'tiny', '--batch-size', '0'], '--batch-size must be'),
    (['--arch', 'tiny', '--device', 'tpu'], '--device must be'),
    (['missing.py'], 'config not found'),
    (['--arch', 'tiny', '--sweep', '--dtype', 'bf16'], 'drop --dtype'),
    (['--arch', 'tiny', '--warmup', '-1'], '--warmup must be >= 0'),
    (['--arch', 'tiny', '--sweep', '--fast'], 'drop --fast'),
    (['--arch', 'tiny', '--fast', '--mode', 'train'], 'inference only'),
    (['--arch', 'tiny', '--fast', '--compile'], 'compiles and uses'),
    (['--arch', 'tiny', '--profile-int8', '--sweep'], 'int8 fast path '
     'alone; drop --sweep'),
    (['--arch', 'tiny', '--profile-int8', '--dtype=bf16'], 'drop --dtype'),
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


def test_refusal_messages(capsys):
    tool = load_tool('analysis_tools/benchmark.py')
    for args, match in [(['--arch', 'tiny', '--sweep', '--compare',
                          'mmpretrain'], 'drop --compare'),
                        (['--arch', 'tiny', '--input-size', '1', '2', '3'],
                         'one or two positive ints')]:
        with pytest.raises(SystemExit):
            tool.parse_args(args)
        assert match in capsys.readouterr().err


def test_every_option_has_help_and_shows_its_default():
    tool = load_tool('analysis_tools/benchmark.py')
    result = run('--help')
    assert result.returncode == 0
    text = ' '.join(result.stdout.split())
    parser_options = re.findall(r'^  (--[a-z-]+)', result.stdout, re.M)
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
        assert re.search(rf'speed ratio \({mode}\): [0-9.]+x  \[mmconformer '
                         rf'cl / mmpretrain fp32: same dtype\]', result.stdout)
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
    pytest.importorskip('torchao')
    pytest.importorskip('onnxruntime')
    """Eager settings of both, mmpretrain compiled with freezing, our fast
    path and onnxruntime on our export: one interleaved run (a 3-block
    model, so that compiling and exporting take seconds)."""
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
        ('mmconformer', 'onnxrt'), ('mmconformer', 'onnxrt-int8')]
    assert [(r['numerator'], r['denominator']) for r in data['ratios']] == [
        ('mmconformer cl', 'mmpretrain fp32'),
        ('mmconformer cl+bf16', 'mmpretrain fp32'),
        ('mmconformer cl+bf16', data['ratios'][2]['denominator']),
        ('mmconformer fast-bf16', 'mmpretrain cl+bf16+compile'),
        ('mmconformer fast-bf16', 'mmpretrain fp32'),
        ('mmconformer fast-fp32', 'mmconformer cl'),
        ('mmconformer fast-int8', 'mmconformer fast-bf16'),
        ('mmconformer fast-int8', 'mmpretrain cl+bf16+compile'),
        ('mmconformer onnxrt', 'mmconformer cl'),
        ('mmconformer onnxrt-int8', 'mmconformer onnxrt')]
    assert result.stdout.count('speed ratio') == 10
    assert set(data['peaks']) == {'fp32', 'bf16', 'int8'}
    # the compiled rows' first call includes compiling; ORT's does not
    first = {r['setting']: r['first_step_s'] for r in data['results']}
    assert first['fast-fp32'] > 10 * first['cl']
    assert all(0 < r['fraction_of_peak'] for r in data['results'])


def test_markdown_and_update_docs(tmp_path, capsys):
    """--markdown prints a report's table between the docs' markers;
    --update-docs rewrites a document's tables in place and says so."""
    from _helpers import call_main
    tool = load_tool('analysis_tools/benchmark.py')
    report = osp.join(REPO_ROOT, 'docs', 'benchmarks',
                      'demo_fast_bf16_numerics.json')
    code, out, err = call_main(tool, capsys, '--markdown', report)
    assert code == 0, err
    assert out.startswith(f'<!-- benchmark-table: {report} -->\n')
    assert '| top-1 agreement with the fp32 eager model |' in out
    assert out.rstrip().endswith('<!-- end benchmark-table -->')
    doc = tmp_path / 'doc.md'
    doc.write_text('<!-- benchmark-table: docs/benchmarks/demo_fast_bf16_'
                   'numerics.json -->\nold\n<!-- end benchmark-table -->\n')
    code, out, err = call_main(tool, capsys, '--update-docs', doc)
    assert (code, out.strip()) == (0, f'{doc}: updated'), err
    assert '| top-1 agreement with the fp32 eager model |' in doc.read_text()
    code, out, _ = call_main(tool, capsys, '--update-docs', doc)
    assert out.strip() == f'{doc}: already up to date'
    code, _, err = call_main(tool, capsys, '--markdown',
                             tmp_path / 'none.json')
    assert code == 1 and err.startswith('error: ') and 'none.json' in err
    code, _, err = call_main(tool, capsys, '--markdown', report, '--arch',
                             'tiny')
    assert code == 2 and 'give no CONFIG or --arch' in err


def test_latency_at_batch_one(tmp_path, capsys):
    """p50 and p90 ms per image of each variant, the first call apart, and
    the table the docs render from the JSON."""
    from _helpers import call_main

    from mmconformer.analysis.benchmark import markdown_report
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
    assert re.search(rf'{best["impl"]} +{re.escape(best["setting"])} .* <- '
                     r'lowest p50', out)
    table = markdown_report(data)
    assert '| Row | p50 ms | p90 ms | first call s |' in table
    assert f'Lowest p50: {best["impl"]} {best["setting"]}.' in table


def test_percentile_interpolates_as_numpy():
    import numpy as np

    from mmconformer.analysis.benchmark import percentile
    values = sorted([5.0, 1.0, 9.5, 3.0, 7.0, 2.0])
    for q in (0, 10, 50, 90, 100):
        assert percentile(values, q) == pytest.approx(
            np.percentile(values, q))
