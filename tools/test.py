# Copyright (c) mmconformer contributors. All rights reserved.
"""Evaluate a checkpoint with mmengine's Runner (the standard OpenMMLab
script).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--amp] [--tta]
        [--cfg-options k=v ...] [--launcher pytorch]

As in tools/train.py, distributed start-up belongs to the config's runner
(``PortableRunner``): ``torchrun --nproc_per_node=2 tools/test.py CONFIG
CKPT --launcher pytorch`` runs on CPUs and GPUs alike.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

from mmconformer.checkpoint import CheckpointError
from mmconformer.datasets import UnreadableImageError
from mmconformer.engine import NonFiniteLossError, build_runner, use_tta
from mmconformer.utils import add_classifier_args, cli_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate a classifier')
    add_classifier_args(parser)
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument('--amp', action='store_true',
                        help='test with automatic mixed precision')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's "
                        'tta_model and tta_pipeline (ours: the mean scores '
                        'of the image and its horizontal flip, per branch '
                        'too)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm',
                                               'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


@cli_main(CheckpointError, UnreadableImageError, NonFiniteLossError)
def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.tta:
        use_tta(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.non_strict:
        cfg.load_strict = False
    if args.amp:
        cfg.test_cfg.fp16 = True
    runner = build_runner(cfg)
    runner.test()
    return 0


if __name__ == '__main__':
    sys.exit(main())
