import os.path as osp
import subprocess
import sys

import pytest
from _helpers import CONFIG_DIR, REPO_ROOT
from _training import make_shapes

from mmconformer.checkpoint import load_checkpoint_file
from mmengine.config import Config
from mmpretrain.registry import MODELS

DEMO = osp.join(CONFIG_DIR, 'demo', 'conformer-tiny-p16_1xb32_shapes.py')


@pytest.mark.slow
def test_train_one_epoch_and_checkpoint_loads_strictly(tmp_path):
    data = tmp_path / 'shapes'
    make_shapes(data, 6, 2, 32)
    work = tmp_path / 'work'
    options = [f'{loader}.dataset.data_root={data}'
               for loader in ('train_dataloader', 'val_dataloader',
                              'test_dataloader')]
    result = subprocess.run([
        sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), DEMO,
        '--work-dir', str(work), '--cfg-options', *options,
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'train_dataloader.batch_size=12', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0'
    ], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'Epoch(train) [1][3/3]' in log
    assert 'accuracy/top1' in log
    checkpoint = load_checkpoint_file(work / 'epoch_1.pth')
    cfg = Config.fromfile(DEMO)
    model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    assert checkpoint['meta']['dataset_meta']['classes'] == (
        'bar', 'cross', 'disc', 'ring', 'square', 'triangle')
