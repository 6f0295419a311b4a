# Copyright (c) mmconformer contributors. All rights reserved.
"""Write a small synthetic shape-classification dataset.

The layout is the one mmpretrain's ``CustomDataset`` reads::

    DEST/train/<class>/<index>.png
    DEST/val/<class>/<index>.png
    DEST/masks/{train,val}/<class>/<index>.png     (with --masks)
    DEST/seg_maps/{train,val}/<class>/<index>.png  (with --seg-maps)

A mask is 255 on the shape and 0 elsewhere. A semantic label map, the layout
mmsegmentation's ``BaseSegDataset`` reads beside the images, holds 0 for the
background and ``k + 1`` on a shape of the ``k``-th class of ``--classes``
(disc 1, square 2, triangle 3, ring 4, cross 5, bar 6 by default).

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
from typing import Tuple

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ('disc', 'square', 'triangle', 'ring', 'cross', 'bar')
#: Shapes the demo classifier never sees: the fine-tuning demo's classes.
NEW_CLASSES = ('star', 'pentagon', 'arrow', 'crescent')


def _polygon(points, cx, cy, radius, angle):
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + radius * (x * cos - y * sin),
             cy + radius * (x * sin + y * cos)) for x, y in points]


#: Default ``(min, max)`` shape radius, as a fraction of the image side.
RADIUS = (0.30, 0.42)


def draw_shape(name: str, size: int, rng: np.random.Generator,
               radius_range: Tuple[float, float] = RADIUS
               ) -> Tuple[Image.Image, Image.Image]:
    """One RGB image of shape ``name``, and its mask (``L``: 255 on the
    shape, 0 elsewhere). The shape's radius is drawn from ``radius_range``
    (fractions of ``size``) and its centre anywhere that keeps it inside the
    image. Drawing the mask takes no random numbers, so the images are the
    same whether masks are written or not."""
    background = rng.integers(0, 256, 3)
    while True:  # a foreground colour that stands out from the background
        colour = rng.integers(0, 256, 3)
        if np.abs(colour.astype(int) - background).sum() > 250:
            break
    noise = rng.normal(0, 8, (size, size, 3))
    canvas = np.clip(background + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas)
    mask = Image.new('L', (size, size), 0)
    radius = rng.uniform(*radius_range) * size
    cx, cy = rng.uniform(radius, size - radius, 2)
    angle = rng.uniform(0, 2 * math.pi)
    fill = tuple(int(c) for c in colour)
    back = tuple(int(c) for c in background)
    for draw, ink, erase in ((ImageDraw.Draw(image), fill, back),
                             (ImageDraw.Draw(mask), 255, 0)):
        _draw(draw, name, cx, cy, radius, angle, ink, erase)
    return image, mask


def _draw(draw: ImageDraw.ImageDraw, name: str, cx: float, cy: float,
          radius: float, angle: float, ink, erase) -> None:
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if name == 'disc':
        draw.ellipse(box, fill=ink)
    elif name == 'ring':
        draw.ellipse(box, outline=ink, width=max(2, int(radius * 0.35)))
    elif name == 'square':
        draw.polygon(_polygon([(-.75, -.75), (.75, -.75), (.75, .75),
                               (-.75, .75)], cx, cy, radius, angle),
                     fill=ink)
    elif name == 'triangle':
        pts = [(math.cos(a), math.sin(a))
               for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
        draw.polygon(_polygon(pts, cx, cy, radius, angle), fill=ink)
    elif name == 'cross':
        arm = [(-1, -.28), (1, -.28), (1, .28), (-1, .28)]
        draw.polygon(_polygon(arm, cx, cy, radius, angle), fill=ink)
        draw.polygon(_polygon(arm, cx, cy, radius, angle + math.pi / 2),
                     fill=ink)
    elif name == 'bar':
        draw.polygon(_polygon([(-1, -.22), (1, -.22), (1, .22), (-1, .22)],
                              cx, cy, radius, angle), fill=ink)
    elif name == 'star':
        pts = [(math.cos(a) * r, math.sin(a) * r)
               for a, r in ((k * math.pi / 5, 1 if k % 2 == 0 else .45)
                            for k in range(10))]
        draw.polygon(_polygon(pts, cx, cy, radius, angle), fill=ink)
    elif name == 'pentagon':
        pts = [(math.cos(a), math.sin(a))
               for a in (k * 2 * math.pi / 5 for k in range(5))]
        draw.polygon(_polygon(pts, cx, cy, radius, angle), fill=ink)
    elif name == 'arrow':
        pts = [(-1, -.2), (.2, -.2), (.2, -.6), (1, 0), (.2, .6), (.2, .2),
               (-1, .2)]
        draw.polygon(_polygon(pts, cx, cy, radius, angle), fill=ink)
    elif name == 'crescent':
        draw.ellipse(box, fill=ink)
        dx, dy = math.cos(angle) * radius * .5, math.sin(angle) * radius * .5
        draw.ellipse((box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy),
                     fill=erase)
    else:
        raise ValueError(f'unknown shape {name!r}; valid: '
                         f'{CLASSES + NEW_CLASSES}')


def make_dataset(dest: str, train_per_class: int = 600,
                 val_per_class: int = 50, size: int = 64,
                 seed: int = 0, classes=CLASSES, masks: bool = False,
                 seg_maps: bool = False,
                 radius_range: Tuple[float, float] = RADIUS) -> None:
    """Write the dataset to ``dest`` (built in a temporary folder beside it,
    then renamed, so an interrupted run leaves no half-written dataset).
    With ``masks``, each image's shape mask goes to
    ``dest/masks/<split>/<class>/<index>.png`` as well; with ``seg_maps``,
    its semantic label map (0 background, ``k + 1`` for ``classes[k]``) to
    ``dest/seg_maps/<split>/<class>/<index>.png``. Neither changes the
    images. ``radius_range`` is the shapes' ``(min, max)`` radius as a
    fraction of ``size`` (``0 < min <= max <= 0.5``); small shapes on a
    large image make a localisation test, where the image centre is rarely
    on the shape."""
    low, high = radius_range
    if not 0 < low <= high <= 0.5:
        raise ValueError(f'radius_range must satisfy 0 < min <= max <= 0.5, '
                         f'got {tuple(radius_range)}')
    if osp.exists(dest):
        raise FileExistsError(f'{dest} exists; remove it or pick another DEST')
    parent = osp.dirname(osp.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.shapes-', dir=parent)
    try:
        rng = np.random.default_rng(seed)
        for split, count in (('train', train_per_class),
                             ('val', val_per_class)):
            for name in classes:
                folder = osp.join(tmp, split, name)
                os.makedirs(folder)
                extras = [kind for kind, wanted in (('masks', masks),
                                                    ('seg_maps', seg_maps))
                          if wanted]
                for kind in extras:
                    os.makedirs(osp.join(tmp, kind, split, name))
                label = classes.index(name) + 1
                for index in range(count):
                    image, mask = draw_shape(name, size, rng,
                                             radius_range)
                    filename = f'{index:05d}.png'
                    image.save(osp.join(folder, filename))
                    if masks:
                        mask.save(osp.join(tmp, 'masks', split, name,
                                           filename))
                    if seg_maps:
                        labels = (np.asarray(mask) > 0).astype(np.uint8)
                        Image.fromarray(labels * label).save(
                            osp.join(tmp, 'seg_maps', split, name, filename))
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
    args = parser.parse_args(argv)
    low, high = args.radius
    if not 0 < low <= high <= 0.5:
        parser.error(f'--radius must satisfy 0 < MIN <= MAX <= 0.5, got '
                     f'{low:g} {high:g}')
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
                     args.size, args.seed, tuple(args.classes), args.masks,
                     args.seg_maps, tuple(args.radius))
    except FileExistsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    total = (args.train_per_class + args.val_per_class) * len(args.classes)
    print(f'Wrote {total} images of {len(args.classes)} classes to '
          f'{args.dest}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
