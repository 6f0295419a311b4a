# Copyright (c) mmconformer contributors. All rights reserved.
"""`make demo-finetune` runs this, after `make demo`.

It fine-tunes the demo's checkpoint on 4 shape kinds the demo never saw
(star, pentagon, arrow, crescent; 20 training images each), with the
fine-tuning recipe of configs/finetune/, and trains the same model from
scratch for the same iterations; then prints both val top-1 accuracies.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmconformer.checkpoint import CheckpointError
from mmconformer.datasets import NEW_CLASSES, ensure_dataset
from mmconformer.engine import train_demo
from mmconformer.utils import ToolError, cli_main

HERE = osp.dirname(osp.abspath(__file__))
DEFAULT_CONFIG = osp.join(HERE, '..', 'configs', 'demo',
                          'conformer-tiny-p16_1xb16-ft_new-shapes.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fine-tune the demo model on new classes, and compare '
        'with training from scratch',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='fine-tuning config')
    parser.add_argument('--checkpoint', default='work_dirs/demo/epoch_7.pth',
                        help='the starting checkpoint (make demo writes it)')
    parser.add_argument('--data-root', default='data/shapes-new',
                        help='made here if missing')
    parser.add_argument('--train-per-class', type=int, default=20,
                        help='training images per new class, if made here')
    parser.add_argument('--work-dir', default='work_dirs/demo-finetune',
                        help='logs and checkpoints of both runs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings of both runs')
    return parser.parse_args(argv)


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise ToolError(f'{args.checkpoint} not found: run `make demo` '
                        f'first (or pass --checkpoint)')
    ensure_dataset(args.data_root, classes=NEW_CLASSES,
                   train_per_class=args.train_per_class, val_per_class=50,
                   seed=1)
    results = {}

    def from_the_demo(cfg):
        cfg.model.backbone.init_cfg.checkpoint = args.checkpoint

    def from_scratch(cfg):
        cfg.model.backbone.init_cfg = None

    for name, edit in (('finetuned', from_the_demo),
                       ('scratch', from_scratch)):
        _, metrics = train_demo(args.config, args.data_root,
                                osp.join(args.work_dir, name),
                                args.cfg_options, edit)
        results[name] = metrics['accuracy/top1']
    print(f'Fine-tuned val top-1: {results["finetuned"]:.2f}%')
    print(f'From scratch val top-1: {results["scratch"]:.2f}%')
    return 0


if __name__ == '__main__':
    sys.exit(main())
