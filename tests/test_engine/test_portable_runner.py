"""PortableRunner: gloo + DDP without device ids when there is no
accelerator, mmengine's own start-up when there is one. Every test forces its
path by patching the one accelerator check."""
import socket

import pytest
import torch
import torch.distributed as dist
from _helpers import TINY_ARCH
from mmengine.config import Config
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmconformer.engine.runner.portable_runner as portable_runner
from mmconformer.engine import PortableRunner
from mmconformer.engine.runner import (cpu_model_wrapper_cfg,
                                       init_cpu_process_group,
                                       unscaled_lr_warning)
from mmconformer.utils import accelerator

MODEL = dict(
    type='ImageClassifier',
    backbone=dict(type='ConformerBackbone', arch=TINY_ARCH, base_channels=16),
    head=dict(type='DualBranchClsHead', num_classes=3, in_channels=[64, 32]))


def free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


@pytest.fixture
def torchrun_env(monkeypatch):
    """The variables torchrun sets, for a one-process world."""
    for name, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                            MASTER_ADDR='127.0.0.1',
                            MASTER_PORT=free_port()).items():
        monkeypatch.setenv(name, value)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def set_accelerator(monkeypatch, available):
    monkeypatch.setattr(accelerator, 'accelerator_available',
                        lambda: available)


def test_registered_in_mmengines_root_registry():
    """mmpretrain's tools/train.py builds `RUNNERS.build(cfg)` from
    mmengine's root registry, before any default scope is set."""
    assert RUNNERS.get('PortableRunner') is PortableRunner
    assert issubclass(PortableRunner, Runner)


def test_cpu_path_starts_gloo_and_wraps_without_device_ids(
        monkeypatch, torchrun_env, tmp_path):
    set_accelerator(monkeypatch, False)
    runner = PortableRunner(
        model=MODEL, work_dir=str(tmp_path), launcher='pytorch',
        default_scope='mmpretrain',
        # mmengine's default backend: it cannot run on CPU tensors
        env_cfg=dict(dist_cfg=dict(backend='nccl')))
    assert dist.is_initialized() and dist.get_backend() == 'gloo'
    assert runner.distributed and runner.world_size == 1
    assert isinstance(runner.model, MMDistributedDataParallel)
    assert runner.model.device_ids is None
    assert next(runner.model.parameters()).device.type == 'cpu'


def test_cpu_path_keeps_a_cpu_backend_and_the_wrapper_cfg(
        monkeypatch, torchrun_env, tmp_path):
    set_accelerator(monkeypatch, False)
    runner = RUNNERS.build(Config(dict(
        runner_type='PortableRunner', model=MODEL, work_dir=str(tmp_path),
        launcher='pytorch', default_scope='mmpretrain',
        env_cfg=dict(dist_cfg=dict(backend='gloo', timeout=600)),
        model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                               find_unused_parameters=True))))
    assert type(runner) is PortableRunner
    assert dist.get_backend() == 'gloo'
    assert runner.model.find_unused_parameters
    assert runner.model.device_ids is None


def test_accelerator_path_is_mmengines(monkeypatch, tmp_path):
    """With an accelerator, start-up goes to mmengine's init_dist with the
    config's backend (nccl): nothing of ours runs first."""
    set_accelerator(monkeypatch, True)
    calls = []

    class Stop(Exception):
        pass

    def init_dist(launcher, **kwargs):
        calls.append((launcher, kwargs))
        raise Stop

    monkeypatch.setattr('mmengine.runner.runner.init_dist', init_dist)
    monkeypatch.setattr(portable_runner, 'init_cpu_process_group',
                        lambda *a, **k: calls.append('ours'))
    with pytest.raises(Stop):
        PortableRunner(model=MODEL, work_dir=str(tmp_path),
                       launcher='pytorch', default_scope='mmpretrain',
                       env_cfg=dict(dist_cfg=dict(backend='nccl')))
    assert calls == [('pytorch', dict(backend='nccl'))]


@pytest.mark.parametrize('available', [True, False])
def test_wrap_model_changes_the_cfg_only_without_accelerator(
        monkeypatch, available):
    set_accelerator(monkeypatch, available)
    received = []
    monkeypatch.setattr(Runner, 'wrap_model',
                        lambda self, cfg, model: received.append(cfg))
    runner = PortableRunner.__new__(PortableRunner)
    runner._distributed, runner.cfg = True, Config(dict())
    runner.wrap_model(None, torch.nn.Linear(2, 2))
    if available:
        assert received == [None]  # mmengine's device_ids=[LOCAL_RANK]
    else:
        assert received == [dict(type='MMDistributedDataParallel',
                                 broadcast_buffers=False,
                                 find_unused_parameters=False,
                                 device_ids=None)]


def test_not_distributed_is_left_alone(monkeypatch, tmp_path):
    set_accelerator(monkeypatch, False)
    runner = PortableRunner(model=MODEL, work_dir=str(tmp_path),
                            default_scope='mmpretrain')
    assert not runner.distributed and not dist.is_initialized()
    assert not isinstance(runner.model, MMDistributedDataParallel)


def test_cpu_model_wrapper_cfg_keeps_explicit_device_ids():
    cfg = cpu_model_wrapper_cfg(dict(device_ids=[0]))
    assert cfg == dict(type='MMDistributedDataParallel', device_ids=[0])


def test_slurm_on_cpu(monkeypatch):
    for name, value in dict(SLURM_PROCID='0', SLURM_NTASKS='1',
                            SLURM_LOCALID='0', MASTER_ADDR='127.0.0.1',
                            MASTER_PORT=free_port()).items():
        monkeypatch.setenv(name, value)
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(name, raising=False)
    try:
        init_cpu_process_group('slurm', backend='nccl')
        assert dist.get_backend() == 'gloo' and dist.get_world_size() == 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_slurm_without_master_addr_and_mpi_are_refused(monkeypatch):
    monkeypatch.setenv('SLURM_PROCID', '0')
    monkeypatch.setenv('SLURM_NTASKS', '1')
    monkeypatch.delenv('MASTER_ADDR', raising=False)
    monkeypatch.delenv('SLURM_NODELIST', raising=False)
    with pytest.raises(ValueError, match='set MASTER_ADDR'):
        init_cpu_process_group('slurm')
    with pytest.raises(ValueError, match="launcher 'mpi' needs an accel"):
        init_cpu_process_group('mpi')


@pytest.mark.parametrize('auto_scale_lr,world,batch,expected', [
    (dict(base_batch_size=1024), 1, 128, '128 (1 process(es) x 128'),
    (dict(base_batch_size=1024), 8, 128, None),
    (dict(base_batch_size=1024, enable=True), 1, 128, None),
    (dict(enable=False), 1, 128, None),
    (None, 1, 128, None),
])
def test_unscaled_lr_warning(auto_scale_lr, world, batch, expected):
    warning = unscaled_lr_warning(auto_scale_lr, world, batch)
    if expected is None:
        assert warning is None
    else:
        assert expected in warning and 'total batch of 1024' in warning \
            and '--auto-scale-lr' in warning


@pytest.mark.parametrize('enable', [False, True])
def test_training_start_warns_of_an_unscaled_lr_with_world_size_1(
        enable, monkeypatch, tmp_path):
    """A one-process run of a config made for 8 x 4 images: one warning
    naming both batches and the flag, and the lr left as it is; with
    --auto-scale-lr (enable) mmengine scales it and nothing is said."""
    set_accelerator(monkeypatch, False)
    runner = PortableRunner(
        model=MODEL, work_dir=str(tmp_path), default_scope='mmpretrain',
        train_dataloader=dict(
            batch_size=4, dataset=dict(type='CustomDataset', data_root='x'),
            sampler=dict(type='DefaultSampler')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(max_epochs=1),
        auto_scale_lr=dict(base_batch_size=32, enable=enable))
    assert runner.world_size == 1
    warnings = []
    monkeypatch.setattr(runner.logger, 'warning', warnings.append)
    optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(optim_wrapper, runner.auto_scale_lr)
    lr = optim_wrapper.optimizer.param_groups[0]['lr']
    if enable:
        assert warnings == [] and lr == pytest.approx(0.1 * 4 / 32)
    else:
        assert len(warnings) == 1 and lr == 0.1
        assert 'total batch is 4 (1 process(es) x 4 images' in warnings[0]
        assert 'total batch of 32' in warnings[0]
        assert '--auto-scale-lr' in warnings[0]
