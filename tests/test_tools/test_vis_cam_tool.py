"""tools/visualization/vis_cam.py and tools/analysis_tools/pointing_game.py
on a checkpoint of a tiny classifier and shapes made with --masks."""
import json
import os.path as osp
import subprocess
import sys

import pytest
from _helpers import (REPO_ROOT, SMALL_ARCH, call_main, load_tool,
                      save_classifier_checkpoint)
from _training import make_shapes

pytest.importorskip('pytorch_grad_cam')
VIS_CAM = osp.join(REPO_ROOT, 'tools', 'visualization', 'vis_cam.py')
CONFIG = f'''
_base_ = ['{REPO_ROOT}/configs/demo/conformer-tiny-p16_1xb32_shapes.py']
model = dict(backbone=dict(arch=dict(_delete_=True, **{SMALL_ARCH!r}),
                           base_channels=16),
             head=dict(in_channels=[64, 32]))
'''


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('cam')
    config = tmp / 'tiny.py'
    config.write_text(CONFIG)
    ckpt = save_classifier_checkpoint(config, tmp / 'tiny.pth')
    data = make_shapes(tmp / 'shapes', train=1, val=2, size=32)
    return config, ckpt, data


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_ROOT)


@pytest.mark.slow
@pytest.mark.plain_clone
def test_vis_cam_writes_the_figure(trained, tmp_path):
    config, ckpt, data = trained
    out = tmp_path / 'cam.png'
    result = run(VIS_CAM, data / 'val' / 'ring' / '00000.png', config, ckpt,
                 '--branch', 'both', '--method', 'gradcam++',
                 '--save-path', out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f'Saved {out}'
    assert out.read_bytes().startswith(b'\x89PNG')
    assert 'Warning' not in result.stderr


def test_vis_cam_refusals(trained, tmp_path, capsys):
    config, ckpt, data = trained
    image = data / 'val' / 'ring' / '00000.png'
    tool = load_tool('visualization/vis_cam.py')
    code, _, err = call_main(tool, capsys, tmp_path / 'none.png', config,
                             ckpt, '--save-path', tmp_path / 'x.png')
    assert code == 1
    assert err.strip() == f'error: file not found: {tmp_path / "none.png"}'
    code, _, err = call_main(tool, capsys, image, config, ckpt)
    assert code == 2 and 'give --save-path' in err
    code, _, err = call_main(tool, capsys, image, config, ckpt,
                             '--target-category', '9', '--save-path',
                             tmp_path / 'x.png')
    assert code == 1 and 'in [0, 6), got 9' in err
    code, _, err = call_main(tool, capsys, image, config, ckpt,
                             '--target-block', '7', '--save-path',
                             tmp_path / 'x.png')
    assert code == 1
    assert err.strip() == 'error: block must be in 1..6 or -6..-1, got 7'
    assert not (tmp_path / 'x.png').exists()


@pytest.mark.slow
def test_pointing_game_tool(trained, tmp_path, capsys):
    config, ckpt, _ = trained
    tool = load_tool('analysis_tools/pointing_game.py')
    from mmconformer.datasets import make_dataset
    make_dataset(str(tmp_path / 'masked'), 1, 1, 32)
    code, _, err = call_main(tool, capsys, config, ckpt, tmp_path / 'masked')
    assert code == 1 and '--masks' in err
    make_dataset(str(tmp_path / 'with'), 1, 1, 32, masks=True)
    out = tmp_path / 'pg.json'
    code, stdout, err = call_main(
        tool, capsys, config, ckpt, tmp_path / 'with', '--methods', 'gradcam',
        '--json', out, '--figure', tmp_path / 'f.png', '--target-block', '2')
    assert code == 0, err[-3000:]
    assert 'Pointing game on 6 val images (chance: ' in stdout
    assert '%, always the centre: ' in stdout
    report = json.loads(out.read_text())
    assert report['images'] == 6 and 0 < report['chance'] < 1
    assert 0 <= report['centre'] <= 1 and report['target_block'] == 2
    code, _, err = call_main(tool, capsys, config, ckpt, tmp_path / 'with',
                             '--methods', 'gradcam', '--target-block', '0')
    assert code == 1 and 'block must be in 1..6' in err
    assert set(report['hit_rate']) == {'conv/gradcam', 'trans/gradcam',
                                       'both/gradcam'}
    assert (tmp_path / 'f.png').read_bytes().startswith(b'\x89PNG')
