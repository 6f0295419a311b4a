# Copyright (c) mmconformer contributors. All rights reserved.
"""`make demo-seg` runs this: semantic segmentation with mmseg's Runner.

It makes the shapes dataset with label maps if it is missing, trains UPerNet
+ Conformer-tiny on it with
``configs/demo/upernet_conformer-tiny-p16_1xb16-1k_shapes-64x64.py`` on
CPU, evaluates the final model on the val split (mmseg's IoUMetric logs the
per-class IoU), draws a few val predictions next to their ground truth, and
prints ``Final val mIoU: X%``. Without mmsegmentation and the compiled mmcv it
stops at once and says what is missing.
"""
import argparse
import os.path as osp
import sys

from mmconformer.utils import (ToolError, cli_main, dense_task_unavailable,
                               int_at_least)

HERE = osp.dirname(osp.abspath(__file__))
DEFAULT_CONFIG = osp.join(HERE, '..', 'configs', 'demo',
                          'upernet_conformer-tiny-p16_1xb16-1k_'
                          'shapes-64x64.py')


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Train and evaluate UPerNet + Conformer-tiny on the '
        'shapes label maps',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/shapes-seg',
                        help='made here (with --seg-maps) if missing')
    parser.add_argument('--work-dir', default='work_dirs/demo-seg')
    parser.add_argument('--figure', default=None,
                        help='where to draw val predictions next to the '
                        'ground truth (default: WORK_DIR/predictions.png)')
    parser.add_argument('--figure-images', type=int_at_least(1), default=6,
                        help='val images in the figure, evenly spaced')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


@cli_main()
def main(argv=None) -> int:
    args = parse_args(argv)
    reason = dense_task_unavailable('mmseg')
    if reason:
        raise ToolError(f'make demo-seg needs mmsegmentation: {reason}')
    from mmconformer.datasets import ensure_dataset
    from mmconformer.engine import train_demo
    from mmconformer.visualization import draw_val_predictions
    try:
        ensure_dataset(args.data_root, seg_maps=True)
    except ValueError as err:  # a data root made without label maps
        raise ToolError(str(err)) from err
    runner, metrics = train_demo(args.config, args.data_root, args.work_dir,
                                 args.cfg_options)
    figure = args.figure or osp.join(runner.work_dir, 'predictions.png')
    draw_val_predictions(runner, figure, args.figure_images,
                         'UPerNet + Conformer-tiny, shapes val')
    runner.logger.info('Segmentation demo finished.')
    checkpoint = osp.join(runner.work_dir, f'iter_{runner.iter}.pth')
    print(f'Checkpoint: {checkpoint}')
    print(f'Logs:       {runner.log_dir}')
    print(f'Figure:     {figure}')
    print(f'Final val mIoU: {metrics["mIoU"]:.2f}%')
    return 0


if __name__ == '__main__':
    sys.exit(main())
