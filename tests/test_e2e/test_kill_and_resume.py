"""SIGKILL a real training process after its first checkpoint, resume."""
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
from _helpers import REPO_ROOT
from _training import DEMO, TOOLS, data_options, make_shapes, run

from mmconformer.checkpoint import load_checkpoint_file
from mmengine.config import Config
from mmpretrain.registry import MODELS

OPTIONS = ('train_dataloader.batch_size=12', 'train_cfg.val_interval=1',
           'default_hooks.checkpoint.interval=1',
           'default_hooks.checkpoint.max_keep_ckpts=5',
           'train_cfg.max_epochs=4')


@pytest.mark.slow
def test_sigkill_then_resume_loses_only_the_unfinished_epoch(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=8, val=2)
    work = tmp_path / 'work'
    cmd = [sys.executable, osp.join(TOOLS, 'train.py'), DEMO, '--work-dir',
           str(work), '--cfg-options', *data_options(data), *OPTIONS]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not (work / 'last_checkpoint').exists():
            assert proc.poll() is None, 'training ended before a checkpoint'
            assert time.time() < deadline, 'no checkpoint within 300 s'
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    last = (work / 'last_checkpoint').read_text().strip()
    killed_at = int(osp.basename(last)[len('epoch_'):-len('.pth')])
    assert killed_at < 4

    # The checkpoint it resumes from is complete and loads strictly.
    state = load_checkpoint_file(last)
    model = MODELS.build(Config.fromfile(DEMO).model)
    model.load_state_dict(state['state_dict'], strict=True)
    assert state['meta']['epoch'] == killed_at

    log = run([
        sys.executable, osp.join(TOOLS, 'train.py'), DEMO, '--work-dir',
        str(work), '--resume', '--cfg-options', *data_options(data),
        *OPTIONS
    ])
    assert f'Epoch(train) [{killed_at + 1}]' in log
    for epoch in range(1, killed_at + 1):
        assert f'Epoch(train) [{epoch}]' not in log
    assert (work / 'epoch_4.pth').exists()
