"""The GPU path for real. No GPU was lent to this project: these tests skip
here and run on a user's CUDA workstation. The rest of the suite forces the
CPU path (or patches the accelerator check), so it passes on both."""
import math
import sys

import pytest
import torch
from _training import make_shapes, train

pytestmark = [
    pytest.mark.slow,
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason='needs a CUDA GPU; the CPU path is tested '
                       'everywhere else'),
]
ONE_EPOCH = ('train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
             'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
             'default_hooks.logger.interval=1')


def test_amp_is_fp16_amp_optim_wrapper_on_gpu(tmp_path):
    """`--amp` on a GPU is mmengine's AmpOptimWrapper (fp16, dynamic loss
    scale): our constructor leaves it alone."""
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    log = train(tmp_path / 'work', data, *ONE_EPOCH, extra=('--amp', ),
                cpu_only=False)
    assert 'BF16AutocastOptimWrapper' not in log
    assert 'Epoch(train) [1]' in log
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason='needs 2 GPUs')
def test_two_gpus_use_nccl(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=8, val=2)
    torchrun = [sys.executable, '-m', 'torch.distributed.run',
                '--nproc_per_node=2', '--master_port=29571']
    log = train(tmp_path / 'work', data, *ONE_EPOCH, launcher_cmd=torchrun,
                extra=('--launcher', 'pytorch'), cpu_only=False)
    assert 'Distributed: world size 2, rank 0, backend nccl' in log
    iters = math.ceil(48 / 2 / 8)
    assert f'Epoch(train) [1][{iters}/{iters}]' in log
