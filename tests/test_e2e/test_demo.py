"""The README's first command runs tools/run_demo.py; here on a tiny
dataset and 1 epoch (the full demo is timed by hand, see the README)."""
import os.path as osp
import re
import sys

import pytest
import torch
from _training import TOOLS, make_shapes, run


@pytest.mark.slow
@pytest.mark.plain_clone
def test_run_demo_trains_evaluates_and_reports(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=6, val=2)
    out = run([
        sys.executable, osp.join(TOOLS, 'run_demo.py'), '--data-root',
        str(data), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ])
    assert 'Epoch(train) [1]' in out  # progress through mmengine's logger
    ckpt = re.search(r'Checkpoint: (\S+)', out).group(1)
    logs = re.search(r'Logs:\s+(\S+)', out).group(1)
    top1 = float(re.search(r'Final val top-1: ([0-9.]+)%', out).group(1))
    assert osp.isfile(ckpt) and osp.isdir(logs)
    assert 0 <= top1 <= 100
    state = torch.load(ckpt, weights_only=True)
    assert 'state_dict' in state


@pytest.mark.slow
def test_run_demo_makes_the_dataset_when_missing(tmp_path):
    data = tmp_path / 'made'
    out = run([
        sys.executable, osp.join(TOOLS, 'run_demo.py'), '--data-root',
        str(data), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False',
        # a short epoch: only the first 2 batches of the generated data
        'train_dataloader.dataset.indices=64',
        'val_dataloader.dataset.indices=32'
    ])
    assert osp.isdir(data / 'train' / 'disc')
    assert 'Final val top-1' in out
