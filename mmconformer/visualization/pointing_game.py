# Copyright (c) mmconformer contributors. All rights reserved.
"""The pointing game: does a CAM's maximum fall on the object?"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch.nn as nn
from PIL import Image

from .cam import BRANCHES, METHODS, branch_cam, combine_branch_cams

__all__ = ['pointing_game', 'find_image_mask_pairs', 'hit']


def hit(cam: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the maximum of ``cam`` lies on ``mask`` (same ``H x W``).
    Ties (a flat maximum) count as a hit if any tied pixel is on the mask
    and as a miss otherwise, i.e. the fraction of tied pixels on the mask
    is rounded: more than half must be on it."""
    if cam.shape != mask.shape:
        raise ValueError(f'cam {cam.shape} and mask {mask.shape} differ')
    peak = cam == cam.max()
    return bool(mask[peak].mean() > 0.5)


def find_image_mask_pairs(data_root: str,
                          split: str = 'val') -> List[Tuple[str, str]]:
    """``(image, mask)`` paths of a shapes dataset written with
    ``make_shapes_dataset.py --masks``: ``<split>/<class>/<i>.png`` and
    ``masks/<split>/<class>/<i>.png``."""
    pairs = []
    images = osp.join(data_root, split)
    for name in sorted(os.listdir(images)):
        for file in sorted(os.listdir(osp.join(images, name))):
            mask = osp.join(data_root, 'masks', split, name, file)
            if not osp.isfile(mask):
                raise FileNotFoundError(
                    f'{mask} is missing: make the dataset with --masks')
            pairs.append((osp.join(images, name, file), mask))
    return pairs


def pointing_game(model: nn.Module,
                  pairs: Sequence[Tuple[str, str]],
                  methods: Sequence[str] = ('gradcam', 'gradcam++',
                                            'eigencam'),
                  input_size: Optional[int] = None,
                  progress: Optional[Callable[[int], None]] = None,
                  target_block: int = -1) -> Dict[str, object]:
    """Hit rate of every branch and method over ``(image, mask)`` pairs.

    For each image and method, the CNN and transformer maps are computed
    once; ``both`` is their mean, rescaled (as :func:`branch_cam` does).

    Args:
        model (nn.Module): As for :func:`branch_cam`.
        pairs (Sequence[tuple]): ``(image path, mask path)`` pairs, e.g.
            from :func:`find_image_mask_pairs`; a mask is non-zero on the
            object.
        methods (Sequence[str]): CAM methods, from :data:`METHODS`.
            Defaults to ``('gradcam', 'gradcam++', 'eigencam')``.
        input_size (int, optional): As for :func:`branch_cam`.
        progress (Callable, optional): Called with the number of images
            done after each image. Defaults to None.
        target_block (int): As for :func:`branch_cam`. Defaults to -1.

    Returns:
        dict: ``images``; ``chance``, the mean fraction of the image the
        masks cover (what a random point hits); ``centre``, the fraction of
        masks that cover the image's centre pixel ``(H // 2, W // 2)`` (what
        always pointing at the centre hits: a CAM must beat it to show more
        than a centred dataset); ``hit_rate``, keyed ``'<branch>/<method>'``.
    """
    for method in methods:
        if method not in METHODS:
            raise ValueError(f'method must be one of {list(METHODS)}, got '
                             f'{method!r}')
    hits = {f'{b}/{m}': [] for b in BRANCHES for m in methods}
    areas, centres = [], []
    for index, (image, mask_path) in enumerate(pairs):
        mask = np.asarray(Image.open(mask_path).convert('L')) > 0
        areas.append(mask.mean())
        centres.append(mask[mask.shape[0] // 2, mask.shape[1] // 2])
        for method in methods:
            maps = {
                b: branch_cam(model, image, b, method, input_size=input_size,
                              target_block=target_block)
                for b in ('conv', 'trans')
            }
            maps['both'] = combine_branch_cams(maps['conv'], maps['trans'])
            for branch, cam in maps.items():
                hits[f'{branch}/{method}'].append(hit(cam, mask))
        if progress is not None:
            progress(index + 1)
    return dict(images=len(pairs), chance=float(np.mean(areas)),
                centre=float(np.mean(centres)),
                hit_rate={k: float(np.mean(v)) for k, v in hits.items()})
