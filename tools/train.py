# Copyright (c) mmconformer contributors. All rights reserved.
"""Train a model with mmengine's Runner (the standard OpenMMLab script).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]

Distributed start-up belongs to the runner the config names
(``runner_type = 'PortableRunner'`` in our configs), not to this script:
``torchrun --nproc_per_node=2 tools/train.py CONFIG --launcher pytorch``
runs on CPUs and GPUs alike, as mmpretrain's own script does.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

from mmconformer.checkpoint import CheckpointError
from mmconformer.datasets import UnreadableImageError
from mmconformer.engine import NonFiniteLossError, build_runner
from mmconformer.utils import cli_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a classifier')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (fp16 on GPU, bf16 autocast on CPU)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the real total batch size')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='skip validation during training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args) -> Config:
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        # As mmpretrain's tools/train.py does. Our configs name
        # PortableOptimWrapperConstructor, which turns this into bf16
        # autocast on a machine without an accelerator.
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


@cli_main(CheckpointError, UnreadableImageError, NonFiniteLossError)
def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = build_runner(cfg)
    runner.train()
    return 0


if __name__ == '__main__':
    sys.exit(main())
