"""AtomicCheckpointHook and the atomic_local backend: a failed or killed
save leaves the previous checkpoint and last_checkpoint intact, and
--resume continues from it bit-identically to a run that never failed."""
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys

import pytest
import torch
from _helpers import (REPO_ROOT, call_main, load_tool, unmount,
                      write_tiny_config)
from _training import TOOLS, data_options, make_shapes
from mmengine.fileio import get_file_backend

from mmconformer.engine import AtomicCheckpointHook, AtomicLocalBackend
from mmconformer.utils.atomic import TEMP_SUFFIX
from mmconformer.checkpoint import load_checkpoint_file

#: 2 iterations of 12 images an epoch, a checkpoint each epoch, keep one
OPTIONS = ('train_dataloader.batch_size=12', 'train_cfg.max_epochs=2',
           'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=1',
           'default_hooks.checkpoint.max_keep_ckpts=1',
           'randomness.deterministic=True')


def test_the_backend_is_registered_and_writes_atomically(tmp_path):
    backend = get_file_backend(str(tmp_path),
                               backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    target = tmp_path / 'sub' / 'a.pth'
    backend.put(b'bytes', target)
    backend.put_text('text', tmp_path / 'b.json')
    assert target.read_bytes() == b'bytes'
    assert (tmp_path / 'b.json').read_text() == 'text'
    assert sorted(os.listdir(tmp_path)) == ['b.json', 'sub']
    with pytest.raises(ValueError, match='UTF-8'):
        backend.put_text('x', tmp_path / 'c.txt', encoding='latin-1')


def test_the_hook_uses_the_atomic_backend_by_default():
    assert AtomicCheckpointHook().backend_args == dict(backend='atomic_local')
    assert AtomicCheckpointHook(backend_args=dict(
        backend='local')).backend_args == dict(backend='local')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('atomic')
    data = make_shapes(tmp / 'shapes', train=4, val=1)
    config = write_tiny_config(
        tmp / 'tiny.py', base_channels=16,
        extra="custom_imports = dict(imports=['mmconformer', '_faults'])\n")
    return dict(tmp=tmp, data=data, config=config)


def train(setup, work, *extra, capsys=None):
    """tools/train.py in this process."""
    args = [setup['config'], '--work-dir', work, *extra, '--cfg-options',
            *data_options(setup['data']), *OPTIONS]
    tool = load_tool('train.py')
    if capsys is None:
        return tool.main([str(a) for a in args])
    return call_main(tool, capsys, *args)


def weights(path):
    return load_checkpoint_file(path)['state_dict']


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope='module')
def reference(setup):
    """The run that never failed."""
    work = setup['tmp'] / 'reference'
    assert train(setup, work) == 0
    assert sorted(p.name for p in work.glob('*.pth')) == [
        'best_accuracy_top1_epoch_2.pth', 'epoch_2.pth']
    return weights(work / 'epoch_2.pth')


def test_checkpoints_load_with_a_bare_weights_only_torch_load(
        setup, reference):
    """mmpretrain's tools load checkpoints with a plain torch.load, weights
    only by default on torch >= 2.6, and no allowlist of ours: our
    checkpoints hold nothing else, and a resume gets the message hub's
    buffers back."""
    from mmengine.logging import HistoryBuffer
    path = setup['tmp'] / 'reference' / 'epoch_2.pth'
    bare = torch.load(path, weights_only=True)
    assert_same_weights(bare['state_dict'], reference)
    restored = AtomicCheckpointHook()
    checkpoint = load_checkpoint_file(path)
    restored.after_load_checkpoint(None, checkpoint)
    buffers = checkpoint['message_hub']['log_scalars']
    assert buffers and all(isinstance(b, HistoryBuffer)
                           for b in buffers.values())


def checkpoint_of(work):
    return osp.basename((work / 'last_checkpoint').read_text().strip())


@pytest.fixture
def full_disk(setup, reference):
    """A tmpfs with room for one checkpoint, the logs and half a second
    checkpoint, where the machine lets us mount one (as root)."""
    size = osp.getsize(setup['tmp'] / 'reference' / 'epoch_2.pth')
    mount = setup['tmp'] / f'tmpfs{len(os.listdir(setup["tmp"]))}'
    mount.mkdir()
    result = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', f'size={size * 3 // 2 + 2**18}',
         'tmpfs', str(mount)], capture_output=True)
    if result.returncode:
        pytest.skip('cannot mount a tmpfs here (needs root); '
                    'test_a_failed_save_keeps_the_previous_checkpoint '
                    'simulates the full disk')
    try:
        yield mount
    finally:
        unmount(mount)


@pytest.mark.slow
def test_a_full_disk_mid_save_then_resume(setup, reference, full_disk):
    work = full_disk / 'work'
    with pytest.raises(OSError, match='No space left on device'):
        train(setup, work)
    # the first checkpoint and its pointer are intact, nothing half-written
    assert checkpoint_of(work) == 'epoch_1.pth'
    assert load_checkpoint_file(work / 'epoch_1.pth')['meta']['epoch'] == 1
    assert sorted(p.name for p in work.iterdir() if 'pth' in p.name) == [
        'epoch_1.pth']
    # space is freed (the work dir moves to a disk with room): resume
    moved = setup['tmp'] / 'moved'
    shutil.copytree(work, moved)
    (moved / 'last_checkpoint').write_text(str(moved / 'epoch_1.pth'))
    assert train(setup, moved, '--resume') == 0
    assert_same_weights(weights(moved / 'epoch_2.pth'), reference)


def test_a_failed_save_keeps_the_previous_checkpoint(setup, reference,
                                                     monkeypatch):
    """The full disk simulated: the second save fails in the middle of its
    write (ENOSPC from the atomic write's fsync)."""
    import errno

    import mmconformer.utils.atomic as atomic
    real_fsync = os.fsync

    def fsync(fd):
        if os.readlink(f'/proc/self/fd/{fd}').count('.epoch_2.pth.'):
            raise OSError(errno.ENOSPC, 'No space left on device')
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, 'fsync', fsync)
    work = setup['tmp'] / 'simulated'
    with pytest.raises(OSError, match='No space left on device'):
        train(setup, work)
    monkeypatch.undo()
    assert checkpoint_of(work) == 'epoch_1.pth'
    assert sorted(p.name for p in work.iterdir() if 'pth' in p.name) == [
        'epoch_1.pth']
    assert train(setup, work, '--resume') == 0
    assert_same_weights(weights(work / 'epoch_2.pth'), reference)


@pytest.mark.slow
def test_kill_9_mid_save_then_resume(setup, reference):
    """A real SIGKILL, halfway through writing epoch_2.pth."""
    work = setup['tmp'] / 'killed'
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'train.py'), str(setup['config']),
         '--work-dir', str(work), '--cfg-options',
         *data_options(setup['data']), *OPTIONS,
         'default_hooks.checkpoint.backend_args.backend='
         'atomic_local_killed_in_epoch_2_save'],
        cwd=REPO_ROOT, capture_output=True, text=True,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES='',
                 PYTHONPATH=osp.join(REPO_ROOT, 'tests')))
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert checkpoint_of(work) == 'epoch_1.pth'
    (leftover, ) = [p.name for p in work.iterdir() if 'epoch_2' in p.name]
    assert leftover.startswith('.epoch_2.pth.') and \
        leftover.endswith(TEMP_SUFFIX)
    assert train(setup, work, '--resume') == 0
    assert_same_weights(weights(work / 'epoch_2.pth'), reference)
    # the leftover went with the next write of epoch_2.pth
    assert not [p for p in os.listdir(work) if p.endswith(TEMP_SUFFIX)]
