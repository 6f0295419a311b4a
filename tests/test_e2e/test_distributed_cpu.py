"""Distributed runs with 2 CPU processes (gloo) through every launcher a user
meets: mmpretrain's own scripts under mim, our tools under torchrun, the
README's ImageNet config, and two "nodes" on one machine.

Each subprocess runs with CUDA hidden (``_training.CPU_ONLY``), so these
tests take the CPU path on a GPU workstation too; the nccl path is covered
by tests/test_engine/test_portable_runner.py (accelerator check patched)
and tests/test_e2e/test_gpu.py (real GPU, skipped without one).
"""
import math
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from _helpers import CONFIG_DIR, REPO_ROOT
from _training import (CPU_ONLY, DEMO, TOOLS, data_options, free_port,
                       make_shapes, run, train)
from PIL import Image

from mmconformer.checkpoint import load_checkpoint_file

MIM = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')
IMAGENET_CONFIG = osp.join(CONFIG_DIR, 'conformer-tiny-p16_8xb128_in1k.py')
ONE_EPOCH = ('train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
             'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
             'default_hooks.logger.interval=1')
#: 48 train images, 8 per process and step, 2 processes: 3 iterations.
ITERS = math.ceil(48 / 2 / 8)
#: What rank 0 writes after one epoch of the demo config (save_best='auto').
DEMO_CHECKPOINTS = ['best_accuracy_top1_epoch_1.pth', 'epoch_1.pth']


def assert_two_gloo_processes(log):
    # CPU path forced on any machine: run() hides CUDA (_training.CPU_ONLY)
    assert 'Distributed: world size 2, rank 0, backend gloo (no ' \
        'accelerator found' in log


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    return make_shapes(tmp_path_factory.mktemp('dist') / 'shapes', train=8,
                       val=2)


@pytest.fixture(scope='module')
def mim_trained(shapes, tmp_path_factory):
    """`mim train mmpretrain <demo> --launcher pytorch --gpus 2`: mmpretrain's
    own tools/train.py under torch.distributed.launch, 2 CPU processes."""
    work = tmp_path_factory.mktemp('mim-dist') / 'work'
    log = run([
        MIM, 'train', 'mmpretrain', DEMO, '--launcher', 'pytorch', '--gpus',
        '2', '--port', free_port(), '--work-dir', str(work),
        '--cfg-options', *data_options(shapes), *ONE_EPOCH
    ])
    return work, log


@pytest.mark.slow
def test_mim_train_two_processes(mim_trained):
    work, log = mim_trained
    assert_two_gloo_processes(log)
    assert f'Epoch(train) [1][{ITERS}/{ITERS}]' in log
    assert 'accuracy/top1' in log
    # rank 0 alone writes the one checkpoint, without DDP's module. prefix
    assert sorted(f for f in os.listdir(work)
                  if f.endswith('.pth')) == DEMO_CHECKPOINTS
    state = load_checkpoint_file(work / 'epoch_1.pth')
    assert not any(k.startswith('module.') for k in state['state_dict'])


@pytest.mark.slow
def test_mim_test_two_processes(mim_trained, shapes):
    work, _ = mim_trained
    log = run([
        MIM, 'test', 'mmpretrain', DEMO, '--checkpoint',
        str(work / 'epoch_1.pth'), '--launcher', 'pytorch', '--gpus', '2',
        '--port', free_port(), '--work-dir', str(work / 'mim-test'),
        '--cfg-options', *data_options(shapes)
    ])
    assert_two_gloo_processes(log)
    assert re.search(r'Epoch\(test\) \[\d+/\d+\]\s+accuracy/top1', log)


@pytest.mark.slow
def test_torchrun_tools_test_py(mim_trained, shapes):
    work, _ = mim_trained
    log = run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        '--master_port=29541', osp.join(TOOLS, 'test.py'), DEMO,
        str(work / 'epoch_1.pth'), '--launcher', 'pytorch', '--work-dir',
        str(work / 'torchrun-test'), '--cfg-options', *data_options(shapes)
    ])
    assert_two_gloo_processes(log)
    assert 'accuracy/top1' in log


@pytest.mark.slow
def test_torchrun_tools_train_py(shapes, tmp_path):
    torchrun = [sys.executable, '-m', 'torch.distributed.run',
                '--nproc_per_node=2', '--master_port=29533']
    log = train(tmp_path / 'work', shapes, *ONE_EPOCH,
                launcher_cmd=torchrun, extra=('--launcher', 'pytorch'))
    assert_two_gloo_processes(log)
    assert f'Epoch(train) [1][{ITERS}/{ITERS}]' in log


def make_imagenet_folder(root, num_classes=4, per_class=8, val_images=8):
    """A tiny folder in ImageNet's layout: ``train/<wnid>/*.JPEG``, a flat
    ``val/`` folder, and ``meta/{train,val}.txt`` with class indices."""
    rng = np.random.default_rng(0)
    wnids = [f'n{index:08d}' for index in range(num_classes)]
    lines = {'train': [], 'val': []}
    for label, wnid in enumerate(wnids):
        os.makedirs(root / 'train' / wnid)
        for i in range(per_class):
            name = f'{wnid}/{wnid}_{i}.JPEG'
            Image.fromarray(rng.integers(0, 255, (40, 48, 3), np.uint8)).save(
                root / 'train' / name, format='JPEG')
            lines['train'].append(f'{name} {label}')
    os.makedirs(root / 'val')
    for i in range(val_images):
        name = f'ILSVRC2012_val_{i:08d}.JPEG'
        Image.fromarray(rng.integers(0, 255, (44, 40, 3), np.uint8)).save(
            root / 'val' / name, format='JPEG')
        lines['val'].append(f'{name} {i % num_classes}')
    os.makedirs(root / 'meta')
    for split, rows in lines.items():
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(rows) + '\n')
    return root


@pytest.mark.slow
@pytest.mark.plain_clone
def test_readmes_8_gpu_command_runs_on_cpu_processes(tmp_path):
    """The README's headline, `mim train mmpretrain
    configs/conformer-tiny-p16_8xb128_in1k.py --launcher pytorch`, with 2 CPU
    processes; only the data root, epochs, batch size and image size are
    overridden (Mixup/CutMix, RandAugment, 5 loader workers all stay)."""
    data = make_imagenet_folder(tmp_path / 'imagenet')
    work = tmp_path / 'work'
    log = run([
        MIM, 'train', 'mmpretrain', IMAGENET_CONFIG, '--launcher', 'pytorch',
        '--gpus', '2', '--port', free_port(), '--work-dir', str(work),
        '--cfg-options',
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}',
        f'test_dataloader.dataset.data_root={data}',
        'train_cfg.max_epochs=1', 'train_dataloader.batch_size=4',
        # pipeline.0 is the loader
        'train_dataloader.dataset.pipeline.1.scale=32',
        'val_dataloader.dataset.pipeline.1.scale=36',
        'val_dataloader.dataset.pipeline.2.crop_size=32'
    ])
    assert_two_gloo_processes(log)
    # 2 x 4 images, not the 1024 the learning rate is set for
    assert 'the total batch is 8 (2 process(es) x 4 images), but the ' \
        'learning rate is set for a total batch of 1024' in log
    # 32 train images, 4 per process and step, 2 processes: 4 iterations
    assert 'Epoch(train) [1][4/4]' in log
    assert 'accuracy/top1' in log and 'accuracy/top5' in log
    assert (work / 'epoch_1.pth').is_file()


@pytest.mark.slow
def test_two_nodes_on_one_machine(shapes, tmp_path):
    """tools/dist_train.sh as two "nodes" (NNODES=2, NODE_RANK=0|1, one
    process each) meeting at MASTER_ADDR: they train together with world
    size 2 and rank 0 alone writes the checkpoint."""
    work = tmp_path / 'work'
    env = dict(os.environ, **CPU_ONLY, NNODES='2', MASTER_ADDR='127.0.0.1',
               PORT='29547', OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ['PATH'])
    cmd = ['bash', osp.join(TOOLS, 'dist_train.sh'), DEMO, '1', '--work-dir',
           str(work), '--cfg-options', *data_options(shapes), *ONE_EPOCH]
    procs = [
        subprocess.Popen(cmd, cwd=REPO_ROOT, env=dict(env, NODE_RANK=str(i)),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True) for i in (0, 1)
    ]
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=600)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert [p.returncode for p in procs] == [0, 0], logs[0][-3000:] + \
        logs[1][-3000:]
    assert_two_gloo_processes(logs[0])
    assert f'Epoch(train) [1][{ITERS}/{ITERS}]' in logs[0]
    assert sorted(f for f in os.listdir(work)
                  if f.endswith('.pth')) == DEMO_CHECKPOINTS
