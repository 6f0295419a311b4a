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

import numpy as np

from mmconformer.utils import (ToolError, atomic_write, cli_main,
                               dense_task_unavailable, set_data_root)

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
    parser.add_argument('--figure-images', type=int, default=6,
                        help='val images in the figure, evenly spaced')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args(argv)
    if args.figure_images < 1:
        parser.error(f'--figure-images must be positive, got '
                     f'{args.figure_images}')
    return args


def draw_predictions(runner, path: str, count: int) -> None:
    """Run the trained model on ``count`` evenly spaced val images and save
    them beside their ground truth and prediction."""
    import torch
    from mmengine.dataset import pseudo_collate

    from mmconformer.visualization import segmentation_figure

    dataset = runner.val_dataloader.dataset
    indices = np.linspace(0, len(dataset) - 1, min(count, len(dataset)))
    rows = []
    runner.model.eval()
    for index in indices.round().astype(int):
        item = dataset[int(index)]
        with torch.no_grad():
            result = runner.model.test_step(pseudo_collate([item]))[0]
        bgr = item['inputs'].permute(1, 2, 0).numpy()
        rows.append((np.ascontiguousarray(bgr[..., ::-1]),
                     item['data_samples'].gt_sem_seg.data[0].numpy(),
                     result.pred_sem_seg.data[0].numpy()))
    meta = dataset.metainfo
    fig = segmentation_figure(rows, meta['classes'], meta['palette'],
                              title='UPerNet + Conformer-tiny, shapes val')
    with atomic_write(path) as f:
        fig.savefig(f, format='png', dpi=120)


@cli_main()
def main(argv=None) -> int:
    args = parse_args(argv)
    reason = dense_task_unavailable('mmseg')
    if reason:
        raise ToolError(f'make demo-seg needs mmsegmentation: {reason}')
    from mmengine.config import Config

    from mmconformer.datasets import ensure_dataset
    from mmconformer.engine import build_runner
    try:
        ensure_dataset(args.data_root, seg_maps=True)
    except ValueError as err:  # a data root made without label maps
        raise ToolError(str(err)) from err
    cfg = set_data_root(Config.fromfile(args.config), args.data_root)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    figure = args.figure or osp.join(runner.work_dir, 'predictions.png')
    draw_predictions(runner, figure, args.figure_images)
    runner.logger.info('Segmentation demo finished.')
    checkpoint = osp.join(runner.work_dir, f'iter_{runner.iter}.pth')
    print(f'Checkpoint: {checkpoint}')
    print(f'Logs:       {runner.log_dir}')
    print(f'Figure:     {figure}')
    print(f'Final val mIoU: {metrics["mIoU"]:.2f}%')
    return 0


if __name__ == '__main__':
    sys.exit(main())
