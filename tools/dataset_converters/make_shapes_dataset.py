# Copyright (c) mmconformer contributors. All rights reserved.
"""Write a small synthetic shape-classification dataset.

The layout is the one mmpretrain's ``CustomDataset`` reads::

    DEST/train/<class>/<index>.png
    DEST/val/<class>/<index>.png

Each image shows one shape (disc, square, triangle, ring, cross, bar) at a
random position, size and rotation, in a random colour on a random noisy
background. Colours are drawn independently of the class, so the label
depends on the shape alone. The dataset is fixed by ``--seed``.

Example::

    python tools/dataset_converters/make_shapes_dataset.py data/shapes
"""
import argparse
import math
import os
import os.path as osp
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ('disc', 'square', 'triangle', 'ring', 'cross', 'bar')


def _polygon(points, cx, cy, radius, angle):
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + radius * (x * cos - y * sin), cy + radius * (x * sin + y * cos))
            for x, y in points]


def draw_shape(name: str, size: int, rng: np.random.Generator) -> Image.Image:
    """One RGB image of shape ``name``."""
    background = rng.integers(0, 256, 3)
    while True:  # a foreground colour that stands out from the background
        colour = rng.integers(0, 256, 3)
        if np.abs(colour.astype(int) - background).sum() > 250:
            break
    noise = rng.normal(0, 8, (size, size, 3))
    canvas = np.clip(background + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    radius = rng.uniform(0.30, 0.42) * size
    cx, cy = rng.uniform(radius, size - radius, 2)
    angle = rng.uniform(0, 2 * math.pi)
    fill = tuple(int(c) for c in colour)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if name == 'disc':
        draw.ellipse(box, fill=fill)
    elif name == 'ring':
        draw.ellipse(box, outline=fill, width=max(2, int(radius * 0.35)))
    elif name == 'square':
        draw.polygon(_polygon([(-.75, -.75), (.75, -.75), (.75, .75),
                               (-.75, .75)], cx, cy, radius, angle),
                     fill=fill)
    elif name == 'triangle':
        pts = [(math.cos(a), math.sin(a))
               for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
        draw.polygon(_polygon(pts, cx, cy, radius, angle), fill=fill)
    elif name == 'cross':
        arm = [(-1, -.28), (1, -.28), (1, .28), (-1, .28)]
        draw.polygon(_polygon(arm, cx, cy, radius, angle), fill=fill)
        draw.polygon(_polygon(arm, cx, cy, radius, angle + math.pi / 2),
                     fill=fill)
    elif name == 'bar':
        draw.polygon(_polygon([(-1, -.22), (1, -.22), (1, .22), (-1, .22)],
                              cx, cy, radius, angle), fill=fill)
    else:
        raise ValueError(f'unknown shape {name!r}; valid: {CLASSES}')
    return image


def make_dataset(dest: str, train_per_class: int = 600,
                 val_per_class: int = 50, size: int = 64,
                 seed: int = 0) -> None:
    """Write the dataset to ``dest`` (built in a temporary folder beside it,
    then renamed, so an interrupted run leaves no half-written dataset)."""
    if osp.exists(dest):
        raise FileExistsError(f'{dest} exists; remove it or pick another DEST')
    parent = osp.dirname(osp.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.shapes-', dir=parent)
    try:
        rng = np.random.default_rng(seed)
        for split, count in (('train', train_per_class),
                             ('val', val_per_class)):
            for name in CLASSES:
                folder = osp.join(tmp, split, name)
                os.makedirs(folder)
                for index in range(count):
                    draw_shape(name, size, rng).save(
                        osp.join(folder, f'{index:05d}.png'))
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a synthetic shape-classification dataset')
    parser.add_argument('dest', help='output folder (must not exist)')
    parser.add_argument('--train-per-class', type=int, default=600)
    parser.add_argument('--val-per-class', type=int, default=50)
    parser.add_argument('--size', type=int, default=64, help='image side')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    for name in ('train_per_class', 'val_per_class', 'size'):
        if getattr(args, name) <= 0:
            parser.error(f'--{name.replace("_", "-")} must be positive')
    if args.size < 16:
        parser.error('--size must be at least 16')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        make_dataset(args.dest, args.train_per_class, args.val_per_class,
                     args.size, args.seed)
    except FileExistsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    total = (args.train_per_class + args.val_per_class) * len(CLASSES)
    print(f'Wrote {total} images of {len(CLASSES)} classes to {args.dest}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
