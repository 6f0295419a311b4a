import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from _helpers import CONFIG_DIR, REPO_ROOT

from mmconformer.analysis.benchmark import (build_pair, make_step,
                                            time_interleaved)

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True,
                          text=True, cwd=REPO_ROOT)


@pytest.mark.parametrize('args,match', [
    (['--arch', 'tiny', '--bogus'], 'unrecognized arguments: --bogus'),
    (['--arch', 'huge'], "invalid choice: 'huge'"),
    ([], 'either CONFIG or --arch'),
    (['--arch', 'tiny', '--dtype', 'fp16'], "invalid choice: 'fp16'"),
    (['--arch', 'tiny', '--batch-size', '0'], '--batch-size must be'),
    (['--arch', 'tiny', '--device', 'tpu'], '--device must be'),
    (['missing.py'], 'config not found'),
    (['--arch', 'tiny', '--sweep', '--dtype', 'bf16'], 'drop --dtype'),
    (['--arch', 'tiny', '--warmup', '-1'], '--warmup must be >= 0'),
])
def test_refuses_bad_options(args, match):
    result = run(*args)
    assert result.returncode == 2
    assert match in result.stderr


def test_pair_has_same_weights_and_logits():
    models = build_pair('tiny', 32)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours = sum(models['mmconformer'].eval()(x, mode='tensor'))
        ref = sum(models['mmpretrain'].eval()(x, mode='tensor'))
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)


def test_training_step_updates_weights_and_interleaves():
    model = build_pair('tiny', 32)['mmconformer']
    x, y = torch.randn(2, 3, 64, 64), torch.tensor([1, 2])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    step = make_step(model.train(), 'train', x, y, 'cpu', 'fp32', opt)
    before = model.head.conv_cls_head.weight.clone()
    order = []
    times = time_interleaved(
        {'a': lambda: (order.append('a'), step()),
         'b': lambda: order.append('b')}, 'cpu', warmup=1, repeats=2)
    assert order == ['a', 'b'] * 3
    assert len(times['a']) == len(times['b']) == 2
    assert not torch.equal(before, model.head.conv_cls_head.weight)


@pytest.mark.slow
def test_end_to_end_json_plot_and_ratios(tmp_path):
    out = tmp_path / 'bench.json'
    plot = tmp_path / 'bench.png'
    result = run(
        osp.join(CONFIG_DIR, 'conformer-tiny-p16_8xb128_in1k.py'),
        '--compare', 'mmpretrain', '--batch-size', '1', '--input-size', '64',
        '--warmup', '0', '--repeats', '1', '--json', str(out), '--plot',
        str(plot))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'speed ratio mmconformer / mmpretrain (infer)' in result.stdout
    assert 'speed ratio mmconformer / mmpretrain (train)' in result.stdout
    data = json.loads(out.read_text())
    rows = data['results']
    assert {(r['impl'], r['mode']) for r in rows} == {
        ('mmconformer', 'infer'), ('mmpretrain', 'infer'),
        ('mmconformer', 'train'), ('mmpretrain', 'train')}
    for row in rows:
        assert row['img_per_s'] > 0 and row['peak_memory_mib'] > 0
        assert 0 < row['fraction_of_matmul_peak'] < 5
    # the peak is that of the steps, not of building the model: training
    # (activations, grads, AdamW state) needs more than inference
    memory = {(r['impl'], r['mode']): r['peak_memory_mib'] for r in rows}
    for impl in ('mmconformer', 'mmpretrain'):
        assert memory[(impl, 'train')] > 2 * memory[(impl, 'infer')]
    assert data['torch'] == torch.__version__ and data['machine']
    assert plot.stat().st_size > 1000


def test_sweep_ratios_pick_mmpretrain_default_and_fastest():
    tool = load_tool()

    def row(impl, dtype, cl, img_per_s):
        setting = tool.Variant(impl, dtype, cl).setting
        return dict(impl=impl, dtype=dtype, setting=setting, mode='infer',
                    img_per_s=img_per_s)

    rows = [row('mmconformer', 'fp32', True, 13.0),
            row('mmconformer', 'bf16', True, 25.0),
            row('mmpretrain', 'fp32', False, 10.0),
            row('mmpretrain', 'fp32', True, 12.0),
            row('mmpretrain', 'bf16', False, 15.0),
            row('mmpretrain', 'bf16', True, 20.0)]
    ratios = {r['note']: (r['ours'], r['mmpretrain'], r['ratio'])
              for r in tool.speed_ratios(rows)}
    assert ratios == {'both defaults': ('cl', 'fp32', 1.3),
                      'mmpretrain default': ('cl+bf16', 'fp32', 2.5),
                      'mmpretrain fastest': ('cl+bf16', 'cl+bf16', 1.25)}


@pytest.mark.slow
def test_sweep_times_six_variants_in_one_run(tmp_path):
    out = tmp_path / 'sweep.json'
    result = run('--arch', 'tiny', '--patch-size', '32', '--sweep',
                 '--mode', 'infer', '--batch-size', '1', '--input-size',
                 '64', '--warmup', '0', '--repeats', '1', '--no-memory',
                 '--json', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(out.read_text())
    assert [(r['impl'], r['setting']) for r in data['results']] == [
        ('mmconformer', 'cl'), ('mmconformer', 'cl+bf16'),
        ('mmpretrain', 'fp32'), ('mmpretrain', 'cl'),
        ('mmpretrain', 'bf16'), ('mmpretrain', 'cl+bf16')]
    assert [r['note'] for r in data['ratios']] == [
        'both defaults', 'mmpretrain default', 'mmpretrain fastest']
    assert result.stdout.count('speed ratio') == 3
