# Copyright (c) mmconformer contributors. All rights reserved.
"""The pointing game on a shapes dataset made with ``--masks``: the fraction
of images whose CAM maximum lies on the shape, per branch and method, next
to the chance rate (the mean fraction of the image the shapes cover).

Example::

    python tools/dataset_converters/make_shapes_dataset.py \
        data/shapes-masks --masks
    python tools/analysis_tools/pointing_game.py \\
        configs/demo/conformer-tiny-p16_1xb32_shapes.py \\
        work_dirs/demo/epoch_7.pth data/shapes-masks --figure cams.png
"""
import argparse
import json
import os.path as osp
import sys

from mmconformer.utils import atomic_write, silence_known_warnings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Pointing game of Conformer CAMs on the shapes dataset',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='classifier config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('data_root', help='shapes dataset made with --masks')
    parser.add_argument('--split', default='val', help='split to score')
    parser.add_argument('--methods', nargs='+',
                        default=['gradcam', 'gradcam++', 'eigencam'],
                        help='CAM methods')
    parser.add_argument('--input-size', type=int, default=None,
                        help='short side of the CAM input (default: the '
                        "config's test size)")
    parser.add_argument('--target-block', type=int, default=-1,
                        help='block whose output the CAMs explain (1..depth, '
                        'negative from the end)')
    parser.add_argument('--limit', type=int, default=None,
                        help='score only the first N images')
    parser.add_argument('--json', default=None, metavar='OUT.json',
                        help='write the rates here')
    parser.add_argument('--figure', default=None, metavar='OUT.png',
                        help='draw one image per class with both branches\' '
                        'GradCAM maps here')
    return parser


def draw_examples(model, pairs, input_size, target_block, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmconformer.visualization import branch_cam, load_rgb
    per_class = {}
    for image, mask in pairs:
        per_class.setdefault(osp.basename(osp.dirname(image)), (image, mask))
    fig, axes = plt.subplots(3, len(per_class), squeeze=False,
                             figsize=(1.6 * len(per_class), 5))
    for column, (name, (image, _)) in enumerate(sorted(per_class.items())):
        rgb = load_rgb(image)
        axes[0, column].imshow(rgb)
        axes[0, column].set_title(name, fontsize=9)
        for row, branch in ((1, 'conv'), (2, 'trans')):
            cam = branch_cam(model, image, branch, 'gradcam',
                             input_size=input_size,
                             target_block=target_block)
            axes[row, column].imshow(rgb)
            axes[row, column].imshow(cam, cmap='jet', alpha=0.45, vmin=0,
                                     vmax=1)
            y, x = divmod(int(cam.argmax()), cam.shape[1])
            axes[row, column].plot(x, y, 'w+', markersize=9, mew=2)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[1, 0].set_ylabel('CNN branch', fontsize=9)
    axes[2, 0].set_ylabel('transformer', fontsize=9)
    fig.suptitle('GradCAM of each branch (+: the maximum)', fontsize=10)
    fig.tight_layout()
    with atomic_write(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=100)


def main(argv=None) -> int:
    silence_known_warnings()
    args = build_parser().parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            print(f'error: file not found: {path}', file=sys.stderr)
            return 1
    from mmengine.logging import MMLogger, print_log
    from mmpretrain import get_model

    from mmconformer.visualization import find_image_mask_pairs, pointing_game
    MMLogger.get_instance('pointing-game', log_level='INFO')
    try:
        pairs = find_image_mask_pairs(args.data_root, args.split)
    except (FileNotFoundError, NotADirectoryError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    pairs = pairs[:args.limit] if args.limit else pairs
    import contextlib
    import io
    # get_model has mmengine print() a note on loading the checkpoint
    with contextlib.redirect_stdout(io.StringIO()):
        model = get_model(args.config, pretrained=args.checkpoint)
    try:
        result = pointing_game(
            model, pairs, args.methods, args.input_size,
            progress=lambda n: n % 50 == 0 and print_log(
                f'{n}/{len(pairs)} images', logger='pointing-game'),
            target_block=args.target_block)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'Pointing game on {result["images"]} {args.split} images '
          f'(chance: {100 * result["chance"]:.1f}%, always the centre: '
          f'{100 * result["centre"]:.1f}%)')
    print(f'{"branch":<8}' + ''.join(f'{m:>11}' for m in args.methods))
    for branch in ('conv', 'trans', 'both'):
        print(f'{branch:<8}' + ''.join(
            f'{100 * result["hit_rate"][f"{branch}/{m}"]:>10.1f}%'
            for m in args.methods))
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(dict(result, config=args.config,
                           checkpoint=args.checkpoint,
                           input_size=args.input_size,
                           target_block=args.target_block), f, indent=2)
    if args.figure:
        draw_examples(model, pairs, args.input_size, args.target_block,
                      args.figure)
        print(f'Saved {args.figure}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
