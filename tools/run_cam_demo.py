# Copyright (c) mmconformer contributors. All rights reserved.
"""`make demo-cam` runs this, after `make demo`.

It makes a shapes dataset with masks in which the shape can be anywhere
(160x160 images, shapes of radius 0.18-0.28 of the side), fine-tunes the
demo's checkpoint on it with
``configs/demo/conformer-tiny-p16_1xb16-8e_shapes-160px.py``, and plays the
pointing game on its val split with the fine-tuned model
(``tools/analysis_tools/pointing_game.py``): how often each branch's CAM
maximum lies on the shape, next to chance and to always pointing at the
centre. The rates go to ``WORK_DIR/pointing_game.json`` and a figure to
``WORK_DIR/pointing_game.png``.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmconformer.checkpoint import CheckpointError
from mmconformer.datasets import ensure_dataset
from mmconformer.engine import train_demo
from mmconformer.utils import ToolError, cli_main
from mmconformer.visualization import DEFAULT_METHODS, METHODS

HERE = osp.dirname(osp.abspath(__file__))
DEFAULT_CONFIG = osp.join(HERE, '..', 'configs', 'demo',
                          'conformer-tiny-p16_1xb16-8e_shapes-160px.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fine-tune the demo model to find shapes anywhere, then '
        'score its CAMs with the pointing game',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--checkpoint', default='work_dirs/demo/epoch_7.pth',
                        help='the starting checkpoint (make demo writes it)')
    parser.add_argument('--data-root', default='data/shapes-160',
                        help='made here (with masks) if missing')
    parser.add_argument('--train-per-class', type=int, default=150,
                        help='training images per class, if made here')
    parser.add_argument('--val-per-class', type=int, default=50,
                        help='val images per class, if made here')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        default=list(DEFAULT_METHODS),
                        help='CAM methods of the pointing game')
    parser.add_argument('--work-dir', default='work_dirs/demo-cam')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the fine-tuning config')
    return parser.parse_args(argv)


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise ToolError(f'{args.checkpoint} not found: run `make demo` '
                        f'first (or pass --checkpoint)')
    try:
        ensure_dataset(args.data_root, size=160, radius_range=(0.18, 0.28),
                       masks=True, train_per_class=args.train_per_class,
                       val_per_class=args.val_per_class, seed=2)
    except ValueError as err:  # a data root made without masks
        raise ToolError(str(err)) from err
    runner, metrics = train_demo(
        args.config, args.data_root, args.work_dir, args.cfg_options,
        edit=lambda cfg: setattr(cfg, 'load_from', args.checkpoint))
    top1 = metrics['accuracy/top1']
    checkpoint = osp.join(runner.work_dir, f'epoch_{runner.epoch}.pth')
    config = osp.join(runner.work_dir, osp.basename(args.config))
    report = osp.join(runner.work_dir, 'pointing_game.json')
    del runner
    print(f'Fine-tuned val top-1 at 160x160: {top1:.2f}%')
    from mmconformer.apis import load_classifier
    from mmconformer.visualization import report_pointing_game
    result = report_pointing_game(
        load_classifier(config, checkpoint), args.data_root, args.methods,
        json_path=report, meta=dict(config=config, checkpoint=checkpoint),
        figure_path=osp.join(args.work_dir, 'pointing_game.png'))
    if 'gradcam' in args.methods:
        print(f'CNN branch, GradCAM, last block: '
              f'{100 * result["hit_rate"]["conv/gradcam"]:.1f}% of the '
              f'shapes hit (chance {100 * result["chance"]:.1f}%, always '
              f'the centre {100 * result["centre"]:.1f}%)')
    print(f'Checkpoint: {checkpoint}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
