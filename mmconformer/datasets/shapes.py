# Copyright (c) mmconformer contributors. All rights reserved.
"""The synthetic shapes dataset of the demos: drawing and writing it.

The layout is the one mmpretrain's ``CustomDataset`` reads::

    DEST/train/<class>/<index>.png
    DEST/val/<class>/<index>.png
    DEST/masks/{train,val}/<class>/<index>.png     (masks=True)
    DEST/seg_maps/{train,val}/<class>/<index>.png  (seg_maps=True)

A mask is 255 on the shape and 0 elsewhere. A semantic label map, the layout
mmsegmentation's ``BaseSegDataset`` reads beside the images, holds 0 for the
background and ``k + 1`` on a shape of the ``k``-th class of ``classes``
(disc 1, square 2, triangle 3, ring 4, cross 5, bar 6 by default).

Each image shows one shape at a random position, size and rotation, in a
random colour on a random noisy background. Colours are drawn independently
of the class, so the label depends on the shape alone. The dataset is fixed
by the seed. ``tools/dataset_converters/make_shapes_dataset.py`` is the
command line over :func:`make_dataset`.
"""
import math
import os
import os.path as osp
import shutil
import tempfile
from typing import Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    'CLASSES', 'NEW_CLASSES', 'RADIUS', 'draw_shape', 'ensure_dataset',
    'make_dataset'
]

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


def make_dataset(dest: str,
                 train_per_class: int = 600,
                 val_per_class: int = 50,
                 size: int = 64,
                 seed: int = 0,
                 classes: Sequence[str] = CLASSES,
                 masks: bool = False,
                 seg_maps: bool = False,
                 radius_range: Tuple[float, float] = RADIUS) -> None:
    """Write the dataset to ``dest``.

    It is built in a temporary folder beside ``dest``, then renamed, so an
    interrupted run leaves no half-written dataset. Neither ``masks`` nor
    ``seg_maps`` changes the images.

    Args:
        dest (str): The folder to write; it must not exist.
        train_per_class (int): Training images per class. Defaults to 600.
        val_per_class (int): Val images per class. Defaults to 50.
        size (int): Image side, in pixels. Defaults to 64.
        seed (int): Seed of everything drawn. Defaults to 0.
        classes (Sequence[str]): Shapes to draw, one class each, from
            :data:`CLASSES` and :data:`NEW_CLASSES`. Defaults to
            :data:`CLASSES`.
        masks (bool): Also write each image's shape mask to
            ``dest/masks/<split>/<class>/<index>.png``. Defaults to False.
        seg_maps (bool): Also write each image's semantic label map (0
            background, ``k + 1`` for ``classes[k]``) to
            ``dest/seg_maps/<split>/<class>/<index>.png``. Defaults to False.
        radius_range (tuple[float, float]): The shapes' ``(min, max)``
            radius as a fraction of ``size`` (``0 < min <= max <= 0.5``);
            small shapes on a large image make a localisation test, where
            the image centre is rarely on the shape. Defaults to
            :data:`RADIUS`.
    """
    classes = tuple(classes)
    unknown = [name for name in classes if name not in CLASSES + NEW_CLASSES]
    if unknown or not classes:
        raise ValueError(f'classes must be shapes from '
                         f'{list(CLASSES + NEW_CLASSES)}, got {list(classes)}')
    for name, value in (('train_per_class', train_per_class),
                        ('val_per_class', val_per_class)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    if not isinstance(size, int) or size < 16:
        raise ValueError(f'size must be an int >= 16, got {size!r}')
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


#: ``make_dataset`` flags that write a folder of the same name.
EXTRAS = ('masks', 'seg_maps')


def ensure_dataset(dest: str, **kwargs) -> bool:
    """Make the dataset at ``dest`` with :func:`make_dataset` unless it
    exists; an existing one must hold what ``kwargs`` ask for.

    Args:
        dest (str): The dataset folder.
        **kwargs: Arguments of :func:`make_dataset`, used if it is made.
            ``masks=True`` or ``seg_maps=True`` also require an existing
            dataset to have that folder.

    Returns:
        bool: Whether the dataset was made now.

    Raises:
        ValueError: ``dest`` exists but lacks a folder that ``kwargs`` ask
            for (it was made without that option).
    """
    if not osp.isdir(dest):
        make_dataset(dest, **kwargs)
        return True
    for flag in EXTRAS:
        if kwargs.get(flag) and not osp.isdir(osp.join(dest, flag)):
            raise ValueError(
                f'{dest} has no {flag}/: it was made without '
                f'{flag}=True (make_shapes_dataset.py '
                f'--{flag.replace("_", "-")}); remove it or pick another '
                f'data root')
    return False
