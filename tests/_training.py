"""Helpers that run our tools in subprocesses on a tiny shapes dataset."""
import os
import os.path as osp
import socket
import subprocess
import sys

from _helpers import CONFIG_DIR, REPO_ROOT

DEMO = osp.join(CONFIG_DIR, 'demo', 'conformer-tiny-p16_1xb32_shapes.py')
TOOLS = osp.join(REPO_ROOT, 'tools')


def make_shapes(dest, train=6, val=2, size=32, **kwargs):
    """A small shapes dataset at ``dest`` (``make_dataset``'s keyword
    arguments pass through); returns ``dest``."""
    from mmconformer.datasets import make_dataset
    make_dataset(str(dest), train, val, size, **kwargs)
    return dest


def tiny_classifier_files(tmp, train=1, val=1, size=48) -> dict:
    """In ``tmp``: a tiny config of the demo's (``tiny.py``), a saved
    classifier of it (``tiny.pth``) and a shapes dataset (``shapes/``) of
    ``train`` / ``val`` images per class at ``size`` pixels: ``tmp``,
    ``config``, ``ckpt`` and ``data``."""
    from _helpers import save_classifier_checkpoint, write_tiny_config
    config = write_tiny_config(tmp / 'tiny.py', base_channels=16)
    return dict(tmp=tmp, config=config,
                ckpt=save_classifier_checkpoint(config, tmp / 'tiny.pth'),
                data=make_shapes(tmp / 'shapes', train=train, val=val,
                                 size=size))


def data_options(data_root, workers=0):
    """--cfg-options that point the demo config at ``data_root``."""
    opts = [f'{loader}.dataset.data_root={data_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')]
    opts += [f'{loader}.num_workers={workers}'
             for loader in ('train_dataloader', 'val_dataloader',
                            'test_dataloader')]
    if workers == 0:
        opts += [f'{loader}.persistent_workers=False'
                 for loader in ('train_dataloader', 'val_dataloader',
                                'test_dataloader')]
    return opts


#: Environment that makes a subprocess take the CPU path on any machine:
#: torch (and so mmengine and mmconformer.utils.accelerator_available) sees
#: no CUDA device. The end-to-end tests assert CPU behaviour (gloo, bf16
#: autocast), so they force it; tests/test_e2e/test_gpu.py covers the GPU.
CPU_ONLY = {'CUDA_VISIBLE_DEVICES': ''}


def free_port() -> str:
    """A TCP port nothing listens on now, for a distributed rendezvous
    (mim otherwise draws one at random, which can be taken)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def run(cmd, timeout=900, cpu_only=True, **kwargs):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if cpu_only:
        env.update(CPU_ONLY)
    env.update(kwargs.pop('env', {}))
    result = subprocess.run(cmd, capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=timeout, env=env, **kwargs)
    output = result.stdout + result.stderr
    # the first error of a failed process is often far from the end
    errors = [line for line in output.splitlines() if 'Error' in line][:5]
    assert result.returncode == 0, '\n'.join(errors) + '\n...\n' + \
        output[-4000:]
    return output


def train(work_dir, data_root, *options, launcher_cmd=None, extra=(),
          config=DEMO, cpu_only=True):
    cmd = (launcher_cmd or [sys.executable]) + [
        osp.join(TOOLS, 'train.py'), config, '--work-dir', str(work_dir),
        *extra, '--cfg-options', *data_options(data_root), *options
    ]
    return run(cmd, cpu_only=cpu_only)
