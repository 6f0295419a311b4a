# Copyright (c) mmconformer contributors. All rights reserved.
"""The pointing game on a shapes dataset made with ``--masks``: the fraction
of images whose CAM maximum lies on the shape, per branch and method, next
to the chance rate (the mean fraction of the image the shapes cover).

Example::

    python tools/dataset_converters/make_shapes_dataset.py \\
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


def save_figure(model, pairs, input_size, target_block, path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmconformer.visualization import pointing_game_figure
    fig = pointing_game_figure(model, pairs, input_size, target_block)
    with atomic_write(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    silence_known_warnings()
    args = build_parser().parse_args(argv)
    for path in (args.config, args.checkpoint):
        if not osp.isfile(path):
            print(f'error: file not found: {path}', file=sys.stderr)
            return 1
    from mmengine.logging import MMLogger, print_log
    from mmpretrain import get_model

    from mmconformer.visualization import (find_image_mask_pairs,
                                           format_pointing_game,
                                           pointing_game)
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
    print(format_pointing_game(result, args.split))
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(dict(result, config=args.config,
                           checkpoint=args.checkpoint,
                           input_size=args.input_size,
                           target_block=args.target_block), f, indent=2)
    if args.figure:
        save_figure(model, pairs, args.input_size, args.target_block,
                    args.figure)
        print(f'Saved {args.figure}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
