# Copyright (c) mmconformer contributors. All rights reserved.
"""The README's first command (``make demo``) runs this.

It makes the shapes dataset if it is missing, trains Conformer-tiny on it with
``configs/demo/conformer-tiny-p16_1xb32_shapes.py`` through mmengine's Runner,
evaluates the final model on the val split, and prints where the checkpoint
and the logs are and the final val top-1 of the summed logits and of each
branch. ``--config configs/demo/conformer-tiny-p16_1xb32-ema_shapes.py``
runs the same demo with an EMA of the weights (evaluated as the EMA model).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmconformer.datasets import ensure_dataset
from mmconformer.engine import train_demo
from mmconformer.utils import cli_main

HERE = osp.dirname(osp.abspath(__file__))
DEFAULT_CONFIG = osp.join(HERE, '..', 'configs', 'demo',
                          'conformer-tiny-p16_1xb32_shapes.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train and evaluate the demo')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/shapes')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


@cli_main()
def main(argv=None) -> int:
    args = parse_args(argv)
    ensure_dataset(args.data_root)
    runner, metrics = train_demo(args.config, args.data_root, args.work_dir,
                                 args.cfg_options)
    last = osp.join(runner.work_dir, f'epoch_{runner.epoch}.pth')
    runner.logger.info('Demo finished.')
    print(f'Checkpoint: {last}')
    print(f'Logs:       {runner.log_dir}')
    print(f'Final val top-1: {metrics["accuracy/top1"]:.2f}% (CNN branch '
          f'{metrics["accuracy/conv_top1"]:.2f}%, transformer branch '
          f'{metrics["accuracy/trans_top1"]:.2f}%)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
