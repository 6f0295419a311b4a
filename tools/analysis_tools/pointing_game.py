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
import sys

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, add_classifier_args, check_files,
                               cli_main, tool_logger)
from mmconformer.visualization import DEFAULT_METHODS, METHODS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Pointing game of Conformer CAMs on the shapes dataset',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_classifier_args(parser, cfg_options=False)
    parser.add_argument('data_root', help='shapes dataset made with --masks')
    parser.add_argument('--split', default='val', help='split to score')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        default=list(DEFAULT_METHODS), help='CAM methods')
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


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    check_files(args.config, args.checkpoint)
    from mmengine.logging import print_log

    from mmconformer.apis import load_classifier
    from mmconformer.visualization import report_pointing_game
    logger = tool_logger('pointing-game', 'INFO')
    model = load_classifier(args.config, args.checkpoint,
                            strict=not args.non_strict)
    try:
        report_pointing_game(
            model, args.data_root, args.methods, args.split,
            args.input_size, args.target_block, args.limit, args.json,
            args.figure, meta=dict(config=args.config,
                                   checkpoint=args.checkpoint),
            progress=lambda n: n % 50 == 0 and print_log(
                f'{n} images scored', logger=logger))
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
        raise ToolError(str(err)) from err
    return 0


if __name__ == '__main__':
    sys.exit(main())
