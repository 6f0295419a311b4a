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

from mmengine.config import Config, DictAction

from mmconformer.checkpoint import CheckpointError
from mmconformer.datasets import NEW_CLASSES, ensure_dataset
from mmconformer.engine import build_runner
from mmconformer.utils import ToolError, cli_main, set_data_root

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


def train_and_validate(cfg: Config) -> float:
    runner = build_runner(cfg)
    runner.train()
    return runner.val_loop.run()['accuracy/top1']


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
    for name, init_cfg in (('finetuned', dict(checkpoint=args.checkpoint)),
                           ('scratch', None)):
        cfg = set_data_root(Config.fromfile(args.config), args.data_root)
        if init_cfg is None:
            cfg.model.backbone.init_cfg = None
        else:
            cfg.model.backbone.init_cfg.update(init_cfg)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        cfg.work_dir = osp.join(args.work_dir, name)
        results[name] = train_and_validate(cfg)
    print(f'Fine-tuned val top-1: {results["finetuned"]:.2f}%')
    print(f'From scratch val top-1: {results["scratch"]:.2f}%')
    return 0


if __name__ == '__main__':
    sys.exit(main())
