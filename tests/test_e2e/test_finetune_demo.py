"""tools/run_finetune_demo.py (make demo-finetune), shortened: 1 epoch on 4
new shape kinds, from a checkpoint of the demo model."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from _helpers import REPO_ROOT
from _training import DEMO, TOOLS, run
from mmengine.config import Config
from mmpretrain.registry import MODELS

TOOL = osp.join(TOOLS, 'run_finetune_demo.py')


@pytest.mark.slow
def test_finetuned_and_scratch_runs_report(tmp_path):
    model = MODELS.build(Config.fromfile(DEMO).model)
    model.init_weights()
    ckpt = tmp_path / 'demo.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    out = run([
        sys.executable, TOOL, '--checkpoint', str(ckpt), '--data-root',
        str(tmp_path / 'new'), '--train-per-class', '4', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False'
    ])
    assert sorted(p.name for p in (tmp_path / 'new' / 'train').iterdir()) \
        == ['arrow', 'crescent', 'pentagon', 'star']
    # the fine-tuned run loads every backbone key (and no head key)
    assert f'Loaded {len(model.backbone.state_dict())} tensors from {ckpt}' \
        in out
    finetuned = float(re.search(r'Fine-tuned val top-1: ([0-9.]+)%',
                                out).group(1))
    scratch = float(re.search(r'From scratch val top-1: ([0-9.]+)%',
                              out).group(1))
    assert 0 <= finetuned <= 100 and 0 <= scratch <= 100
    for run_name in ('finetuned', 'scratch'):
        assert (tmp_path / 'work' / run_name / 'epoch_1.pth').is_file()


def test_needs_the_demo_checkpoint(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, '--checkpoint', str(tmp_path / 'none.pth')],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'error: {tmp_path / "none.pth"} not found: run `make demo` first '
        '(or pass --checkpoint)')
