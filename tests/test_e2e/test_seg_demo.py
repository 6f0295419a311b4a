"""`make demo-seg` runs tools/run_seg_demo.py; here a few iterations and one
evaluation on a tiny dataset (the full demo is timed by hand, see
docs/en/demos.md), and the one-line refusal where mmseg cannot run."""
import os.path as osp
import re
import subprocess
import sys

import pytest
from _training import TOOLS, make_shapes, run

from mmconformer.utils import dense_task_unavailable
from mmconformer.checkpoint import load_checkpoint_file

# plain_clone: with mmcv-lite the segmentation demo stops with one line
pytestmark = pytest.mark.plain_clone

SEG_DEMO = osp.join(TOOLS, 'run_seg_demo.py')
#: docs/en/demos.md, "What CI checks": val mIoU after 3 iterations.
SEG_MIOU = 7.31


def make_seg_shapes(dest, train=4, val=2):
    return make_shapes(dest, train, val, 64, seg_maps=True)


@pytest.mark.slow
@pytest.mark.skipif(dense_task_unavailable('mmseg') is not None,
                    reason=str(dense_task_unavailable('mmseg')))
def test_seg_demo_trains_evaluates_draws_and_reports(tmp_path):
    data = make_seg_shapes(tmp_path / 'shapes-seg')
    out = run([
        sys.executable, SEG_DEMO, '--data-root', str(data), '--work-dir',
        str(tmp_path / 'work'), '--figure-images', '3', '--cfg-options',
        'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=3',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False'
    ])
    # progress and the per-class table through mmengine's logger
    assert 'Iter(train) [3/3]' in out
    assert 'per class results' in out
    for name in ('background', 'disc', 'square', 'triangle', 'ring',
                 'cross', 'bar'):
        assert re.search(rf'\|\s+{name}\s+\|', out), name
    ckpt = re.search(r'Checkpoint: (\S+)', out).group(1)
    figure = re.search(r'Figure:\s+(\S+)', out).group(1)
    miou = float(re.search(r'Final val mIoU: ([0-9.]+)%', out).group(1))
    # what the fixed seed gives after 3 iterations (docs/en/demos.md), within
    # 3 points for other CPUs' rounding
    assert abs(miou - SEG_MIOU) <= 3.0, miou
    assert load_checkpoint_file(ckpt)['meta']['iter'] == 3
    with open(figure, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_seg_demo_without_mmseg_stops_with_one_line(tmp_path):
    """Where mmseg cannot run (mmcv-lite) the demo refuses at once, before
    making data or a work dir. Forced here by hiding the compiled ops, so
    that it runs on any machine; on a plain clone it is also the truth."""
    hide_ops = (
        'import importlib.util, runpy, sys\n'
        'find_spec = importlib.util.find_spec\n'
        'importlib.util.find_spec = lambda name, *a, **k: None if name == '
        '"mmcv._ext" else find_spec(name, *a, **k)\n'
        'sys.argv = sys.argv[1:]\n'
        'runpy.run_path(sys.argv[0], run_name="__main__")\n')
    result = subprocess.run(
        [sys.executable, '-c', hide_ops, SEG_DEMO, '--data-root',
         str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work')],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('error: make demo-seg needs mmsegmentation: '
                               'mmseg needs the compiled mmcv')
    assert 'mmcv-lite' in lines[0]
    assert not (tmp_path / 'data').exists()
    assert not (tmp_path / 'work').exists()


@pytest.mark.skipif(dense_task_unavailable('mmseg') is not None,
                    reason=str(dense_task_unavailable('mmseg')))
def test_seg_demo_refuses_a_data_root_without_label_maps(tmp_path, capsys):
    from _helpers import call_main, load_tool
    data = make_shapes(tmp_path / 'plain', 1, 1, 16)
    code, _, err = call_main(load_tool('run_seg_demo.py'), capsys,
                             '--data-root', data, '--work-dir',
                             tmp_path / 'work')
    assert code == 1
    assert err.startswith(f'error: {data} has no seg_maps/: it was made '
                          'without seg_maps=True (make_shapes_dataset.py '
                          '--seg-maps)')
    assert not (tmp_path / 'work').exists()
