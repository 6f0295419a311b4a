# Copyright (c) mmconformer contributors. All rights reserved.
"""Write a small synthetic shape-classification dataset.

The command line over :func:`mmconformer.datasets.make_dataset`, which
documents the layout::

    DEST/train/<class>/<index>.png
    DEST/val/<class>/<index>.png
    DEST/masks/{train,val}/<class>/<index>.png     (with --masks)
    DEST/seg_maps/{train,val}/<class>/<index>.png  (with --seg-maps)

Each image shows one shape (disc, square, triangle, ring, cross, bar) at a
random position, size and rotation, in a random colour on a random noisy
background. The dataset is fixed by ``--seed``.

Example::

    python tools/dataset_converters/make_shapes_dataset.py data/shapes
"""
import argparse
import sys

from mmconformer.datasets import (CLASSES, NEW_CLASSES, RADIUS, draw_shape,
                                  make_dataset)

__all__ = ['draw_shape', 'main', 'make_dataset', 'parse_args']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a synthetic shape-classification dataset')
    parser.add_argument('dest', help='output folder (must not exist)')
    parser.add_argument('--train-per-class', type=int, default=600)
    parser.add_argument('--val-per-class', type=int, default=50)
    parser.add_argument('--size', type=int, default=64, help='image side')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--classes', nargs='+', default=list(CLASSES), metavar='SHAPE',
        choices=CLASSES + NEW_CLASSES,
        help=f'shapes to draw, one class each (default: {" ".join(CLASSES)};'
        f' the fine-tuning demo uses {" ".join(NEW_CLASSES)})')
    parser.add_argument(
        '--masks', action='store_true',
        help='also write each image\'s shape mask (255 on the shape) to '
        'DEST/masks/<split>/<class>/<index>.png; the images are the same '
        'with or without it')
    parser.add_argument(
        '--seg-maps', action='store_true',
        help='also write each image\'s semantic label map (0 background, '
        'k+1 on a shape of the k-th class of --classes) to '
        'DEST/seg_maps/<split>/<class>/<index>.png, as mmsegmentation reads '
        'it; the images are the same with or without it')
    parser.add_argument(
        '--radius', nargs=2, type=float, default=list(RADIUS),
        metavar=('MIN', 'MAX'),
        help='shape radius range, as fractions of the image side '
        '(0 < MIN <= MAX <= 0.5; default: %(default)s). Small shapes on a '
        'large --size place the object anywhere: the CAM demo uses '
        '--size 160 --radius 0.18 0.28')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        make_dataset(args.dest, args.train_per_class, args.val_per_class,
                     args.size, args.seed, tuple(args.classes), args.masks,
                     args.seg_maps, tuple(args.radius))
    except FileExistsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except ValueError as err:  # make_dataset checks every value
        print(f'error: {err}', file=sys.stderr)
        return 2
    total = (args.train_per_class + args.val_per_class) * len(args.classes)
    print(f'Wrote {total} images of {len(args.classes)} classes to '
          f'{args.dest}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
