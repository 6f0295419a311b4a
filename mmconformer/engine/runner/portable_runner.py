# Copyright (c) mmconformer contributors. All rights reserved.
"""A Runner whose distributed start-up also works without an accelerator."""
import copy
import datetime
import os
import re
import subprocess
from typing import Callable, Optional, Union

import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.dist import is_distributed
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from ...checkpoint import (extract_state_dict, load_state_dict_checked,
                           read_checkpoint)
from ...utils import accelerator

__all__ = ['PortableRunner', 'unscaled_lr_warning']

#: Backends that run on CPU tensors; any other asked for (nccl: mmengine's
#: default) becomes gloo when there is no accelerator.
CPU_BACKENDS = ('gloo', 'mpi')


@MMENGINE_RUNNERS.register_module()
class PortableRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner`, plus a distributed
    start-up that works on machines without an accelerator.

    Our configs set ``runner_type = 'PortableRunner'``; mmpretrain's (and
    mmdet's, mmseg's) ``tools/train.py`` and ``tools/test.py`` then build it
    with ``RUNNERS.build(cfg)``, so ``mim train mmpretrain CONFIG --launcher
    pytorch --gpus N`` works on a CPU-only machine too.

    With an accelerator (:func:`mmconformer.utils.accelerator_available`)
    nothing changes: mmengine's launcher and wrapper run as they are (nccl on
    CUDA). Without one, two steps of mmengine assume a GPU, and this runner
    replaces them:

    1. **The process group.** mmengine's ``pytorch`` and ``slurm`` launchers
       call ``torch.cuda.set_device`` before ``init_process_group``. Here the
       group is started first, with gloo (a ``dist_cfg.backend`` of gloo or
       mpi is kept; nccl, mmengine's default, becomes gloo), from the
       variables torchrun sets (``pytorch``) or from slurm's (``slurm``:
       ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``, and
       ``MASTER_ADDR``/``MASTER_PORT``, which slurm_train.sh sets). mmengine
       then finds the group initialised and uses it.
    2. **The DDP wrapper.** mmengine passes ``device_ids=[LOCAL_RANK]`` to
       ``DistributedDataParallel``, which refuses it for a CPU module. Here
       the wrapper gets ``device_ids=None`` (a ``model_wrapper_cfg`` of the
       config is kept, with ``device_ids`` added when it names none).

    The log then says ``Distributed: world size N, rank R, backend B``.

    It also loads checkpoints (``load_from``, ``tools/test.py CKPT``,
    ``mim test --checkpoint``, ``--resume``) strictly, where mmengine loads
    whatever matches and warns about the rest: every weight of the model
    must be in the checkpoint with its shape, and the checkpoint may hold
    no weight the model lacks (but for blocks a dense backbone does not
    build). A checkpoint that does not fit stops the run with one line that
    names the first key that differs. Official-layout checkpoints are
    converted on the fly, and local files are read weights-only. A config
    with ``load_strict = False`` loads what fits instead and logs, in a few
    lines, what it left out.

    When training starts with a total batch (world size x batch per
    process) other than ``auto_scale_lr.base_batch_size`` and without
    ``--auto-scale-lr``, it logs one warning that names both batches and
    the flag (see :func:`unscaled_lr_warning`): the learning rate is then
    that of another batch.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.distributed:
            where = '' if accelerator.accelerator_available() else \
                ' (no accelerator found: CPU processes, DDP without ' \
                'device_ids)'
            self.logger.info(
                f'Distributed: world size {self.world_size}, rank '
                f'{self.rank}, backend {torch_dist.get_backend()}{where}')

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        """Load ``filename`` into the model: strictly, unless the config
        says ``load_strict = False`` (mmengine's ``strict`` argument, False
        in every call mmengine makes, is overruled by it). Returns the whole
        checkpoint, as mmengine's does, for ``resume`` to read its state."""
        checkpoint = read_checkpoint(filename)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        state = extract_state_dict(checkpoint)
        for pattern, replacement in revise_keys:
            state = {re.sub(pattern, replacement, k): v
                     for k, v in state.items()}
        model = self.model
        # DDP and the test-time-augmentation wrapper (--tta) hold the
        # classifier as `module`, as mmengine's own loader unwraps them
        while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        load_state_dict_checked(model, state, filename,
                                strict=self.cfg.get('load_strict', True))
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def scale_lr(self,
                 optim_wrapper: OptimWrapper,
                 auto_scale_lr: Optional[dict] = None) -> None:
        """mmengine's, after one warning when the learning rate is left
        unscaled for a total batch it was not set for."""
        loader = self._train_dataloader
        batch_size = loader.batch_size if isinstance(loader, DataLoader) \
            else loader.get('batch_size')
        warning = unscaled_lr_warning(auto_scale_lr, self.world_size,
                                      batch_size)
        if warning:
            self.logger.warning(warning)
        super().scale_lr(optim_wrapper, auto_scale_lr)

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed() and \
                not accelerator.accelerator_available():
            init_cpu_process_group(self.launcher,
                                   **env_cfg.get('dist_cfg', {}))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[dict],
                   model: nn.Module) -> nn.Module:
        if self.distributed and not is_model_wrapper(model) and \
                not accelerator.accelerator_available():
            model_wrapper_cfg = cpu_model_wrapper_cfg(
                model_wrapper_cfg,
                self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)


def unscaled_lr_warning(auto_scale_lr: Optional[dict], world_size: int,
                        batch_size: Optional[int]) -> Optional[str]:
    """The warning for a learning rate set for another total batch.

    Args:
        auto_scale_lr (dict, optional): The config's ``auto_scale_lr``
            (``base_batch_size``, and ``enable``, which ``--auto-scale-lr``
            sets).
        world_size (int): Number of training processes.
        batch_size (int, optional): Batch per process.

    Returns:
        str or None: One line naming the real and the base total batch and
        ``--auto-scale-lr``; None when they agree, when the learning rate
        is scaled, or when the config names no base batch.
    """
    if not auto_scale_lr or auto_scale_lr.get('enable', False) or \
            auto_scale_lr.get('base_batch_size') is None or \
            batch_size is None:
        return None
    base = auto_scale_lr['base_batch_size']
    real = world_size * batch_size
    if real == base:
        return None
    return (f'the total batch is {real} ({world_size} process(es) x '
            f'{batch_size} images), but the learning rate is set for a '
            f'total batch of {base} (auto_scale_lr.base_batch_size) and '
            f'--auto-scale-lr is off: pass --auto-scale-lr to scale it by '
            f'{real}/{base}, or start as many processes as the config is '
            f'named for (mim train ... --gpus N)')


def cpu_model_wrapper_cfg(model_wrapper_cfg: Optional[dict],
                          find_unused_parameters: bool = False) -> dict:
    """The wrapper config mmengine would use, with ``device_ids=None`` for
    DDP-based wrappers (a CPU module takes no device ids)."""
    if model_wrapper_cfg is None:
        model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=find_unused_parameters)
    cfg = copy.deepcopy(dict(model_wrapper_cfg))
    cfg.setdefault('type', 'MMDistributedDataParallel')
    if issubclass(MODEL_WRAPPERS.get(cfg['type']), DistributedDataParallel):
        cfg.setdefault('device_ids', None)
    return cfg


def init_cpu_process_group(launcher: str,
                           backend: str = 'gloo',
                           timeout: Optional[int] = None,
                           **kwargs) -> None:
    """Start the process group of a CPU-only job.

    Args:
        launcher (str): ``'pytorch'`` (torchrun's variables) or ``'slurm'``.
        backend (str): ``dist_cfg.backend`` of the config; gloo unless it is
            one of :data:`CPU_BACKENDS`. Defaults to ``'gloo'``.
        timeout (int, optional): Seconds, as in mmengine's ``dist_cfg``.
            Defaults to None (torch's default).
        **kwargs: Passed to ``torch.distributed.init_process_group``.

    Raises:
        ValueError: another launcher (``mpi``), which needs an accelerator
            in mmengine.
    """
    if launcher == 'slurm':
        # What mmengine's slurm launcher does, without torch.cuda.
        os.environ['RANK'] = os.environ['SLURM_PROCID']
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            # The first node of the job, as mmengine's slurm launcher finds
            # it.
            nodes = os.environ.get('SLURM_NODELIST', '')
            first = subprocess.run(
                ['scontrol', 'show', 'hostnames', nodes],
                capture_output=True, text=True).stdout.split() if nodes \
                else []
            if not first:
                raise ValueError(
                    'launcher slurm: cannot find the first node of the job '
                    '(no SLURM_NODELIST, or scontrol found none); set '
                    'MASTER_ADDR')
            os.environ['MASTER_ADDR'] = first[0]
    elif launcher != 'pytorch':
        raise ValueError(
            f'launcher {launcher!r} needs an accelerator in mmengine; on a '
            f"machine without one use 'pytorch' (torchrun) or 'slurm'")
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend=backend if backend in CPU_BACKENDS else 'gloo', **kwargs)
