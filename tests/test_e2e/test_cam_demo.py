"""tools/run_cam_demo.py (make demo-cam), shortened: a few images per class,
a few iterations of the demo-cam config on a tiny arch, one CAM method."""
import json
import os.path as osp
import re
import sys

import numpy as np
import pytest
from _helpers import (CONFIG_DIR, call_main, load_tool,
                      save_classifier_checkpoint, write_tiny_config)
from _training import TOOLS, run
from PIL import Image

TOOL = osp.join(TOOLS, 'run_cam_demo.py')
CAM_DEMO = osp.join(CONFIG_DIR, 'demo',
                    'conformer-tiny-p16_1xb16-8e_shapes-160px.py')
#: docs/en/demos.md, "What CI checks": the fine-tuned top-1 and each
#: branch's pointing-game hits, in percent of the 6 val images.
CAM_FIGURES = {'top1': 33.33, 'conv/gradcam': 66.67, 'trans/gradcam': 66.67,
               'both/gradcam': 66.67}
#: One image of 6: another CPU's rounding may flip one, not two.
ONE_IMAGE = 100 / 6 + 0.01


@pytest.mark.slow
def test_finetunes_and_plays_the_pointing_game(tmp_path):
    config = write_tiny_config(tmp_path / 'tiny-cam.py', base_channels=16,
                               base=CAM_DEMO)
    ckpt = tmp_path / 'demo.pth'
    save_classifier_checkpoint(config, ckpt)
    data = tmp_path / 'shapes-160'
    out = run([
        sys.executable, TOOL, '--config', config, '--checkpoint', str(ckpt),
        '--data-root',
        str(data), '--train-per-class', '2', '--val-per-class', '1',
        '--methods', 'gradcam', '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False'
    ])
    # the dataset: 160 px images with masks, shapes of radius <= 0.28 x 160
    image = np.asarray(Image.open(data / 'val' / 'disc' / '00000.png'))
    mask = np.asarray(Image.open(data / 'masks' / 'val' / 'disc' /
                                 '00000.png'))
    assert image.shape == (160, 160, 3)
    ys, xs = np.nonzero(mask)
    assert 2 * 0.18 * 160 - 2 <= xs.max() - xs.min() + 1 <= 2 * 0.28 * 160 + 2
    assert f'Load checkpoint from {ckpt}' in out
    assert re.search(r'Fine-tuned val top-1 at 160x160: [0-9.]+%', out)
    assert 'Pointing game on 6 val images' in out
    report = json.loads((tmp_path / 'work' / 'pointing_game.json').read_text())
    assert set(report['hit_rate']) == {'conv/gradcam', 'trans/gradcam',
                                       'both/gradcam'}
    rate = re.search(r'CNN branch, GradCAM, last block: ([0-9.]+)% of the '
                     r'shapes hit \(chance ([0-9.]+)%', out)
    assert float(rate.group(1)) == pytest.approx(
        100 * report['hit_rate']['conv/gradcam'], abs=0.05)
    assert float(rate.group(2)) == pytest.approx(100 * report['chance'],
                                                 abs=0.05)
    # what the fixed seeds give (docs/en/demos.md), within one image
    figures = dict(top1=float(re.search(r'Fine-tuned val top-1 at 160x160: '
                                        r'([0-9.]+)%', out).group(1)),
                   **{k: round(100 * v, 2)
                      for k, v in report['hit_rate'].items()})
    assert set(figures) == set(CAM_FIGURES)
    for name, expected in CAM_FIGURES.items():
        assert abs(figures[name] - expected) <= ONE_IMAGE, figures
    assert (tmp_path / 'work' / 'pointing_game.png').read_bytes()[:4] == \
        b'\x89PNG'


def test_needs_the_demo_checkpoint(tmp_path, capsys):
    code, _, err = call_main(load_tool('run_cam_demo.py'), capsys,
                             '--checkpoint', tmp_path / 'none.pth')
    assert code == 1
    assert err.strip() == (
        f'error: {tmp_path / "none.pth"} not found: run `make demo` first '
        '(or pass --checkpoint)')


def test_refuses_a_data_root_without_masks_before_training(tmp_path, capsys):
    """A data root made without --masks would fail only after the whole
    fine-tuning, in the pointing game: it is refused first."""
    from mmconformer.datasets import make_dataset
    data = tmp_path / 'plain'
    make_dataset(str(data), 1, 1, 16)
    ckpt = tmp_path / 'demo.pth'
    ckpt.write_bytes(b'not read')
    code, out, err = call_main(load_tool('run_cam_demo.py'), capsys,
                               '--checkpoint', ckpt, '--data-root', data,
                               '--work-dir', tmp_path / 'work')
    assert code == 1
    assert err.startswith(f'error: {data} has no masks/: it was made without '
                          'masks=True (make_shapes_dataset.py --masks)')
    assert not (tmp_path / 'work').exists()
