"""torchrun with 2 CPU processes (gloo) through tools/train.py."""
import math
import os
import os.path as osp
import sys

import pytest
import torch
from _helpers import REPO_ROOT
from _training import make_shapes, train


@pytest.mark.slow
def test_two_process_cpu_training(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=8, val=2)  # 48 images
    torchrun = [sys.executable, '-m', 'torch.distributed.run',
                '--nproc_per_node=2', '--master_port=29533']
    log = train(tmp_path / 'work', data, 'train_cfg.max_epochs=1',
                'train_dataloader.batch_size=8', 'train_cfg.val_interval=1',
                'default_hooks.checkpoint.interval=1',
                'default_hooks.logger.interval=1',
                launcher_cmd=torchrun, extra=('--launcher', 'pytorch'))
    assert 'world size 2, backend gloo' in log
    # 48 images, 8 per process, 2 processes: each rank sees 24 -> 3 iters.
    iters = math.ceil(48 / 2 / 8)
    assert f'Epoch(train) [1][{iters}/{iters}]' in log
    assert 'accuracy/top1' in log
    ckpts = sorted(f for f in os.listdir(tmp_path / 'work')
                   if f.startswith('epoch_'))
    assert ckpts == ['epoch_1.pth']
    state = torch.load(tmp_path / 'work' / 'epoch_1.pth', weights_only=True)
    assert not any(k.startswith('module.') for k in state['state_dict'])


def test_gpu_path_is_left_to_mmengine(monkeypatch):
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
    try:
        import train as train_tool
    finally:
        sys.path.pop(0)
    from mmengine.config import Config
    args = train_tool.parse_args([
        osp.join(REPO_ROOT, 'configs', 'conformer-tiny-p16_8xb128_in1k.py'),
        '--launcher', 'pytorch'
    ])
    cfg = Config.fromfile(args.config)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    gpu = train_tool.merge_args(cfg.copy(), args)
    assert gpu.get('model_wrapper_cfg') is None
    assert gpu.env_cfg.dist_cfg.backend == 'nccl'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cpu = train_tool.merge_args(Config.fromfile(args.config), args)
    assert cpu.env_cfg.dist_cfg.backend == 'gloo'
    assert cpu.model_wrapper_cfg.device_ids is None
