# Copyright (c) mmconformer contributors. All rights reserved.
"""The pointing game: does a CAM's maximum fall on the object?"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch.nn as nn
from PIL import Image

from .cam import CAM_BRANCHES, METHODS, branch_cam, combine_branch_cams

__all__ = [
    'DEFAULT_METHODS', 'pointing_game', 'find_image_mask_pairs',
    'format_pointing_game', 'hit', 'pointing_game_figure',
    'report_pointing_game'
]


#: The CAM methods the pointing game scores unless told otherwise.
DEFAULT_METHODS = ('gradcam', 'gradcam++', 'eigencam')


def hit(cam: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the maximum of ``cam`` lies on ``mask`` (same ``H x W``).

    Where several pixels share the maximum (a flat peak), it is a hit when
    more than half of them lie on the mask; a single maximum is a hit when
    it lies on the mask."""
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
                  methods: Sequence[str] = DEFAULT_METHODS,
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
            Defaults to :data:`DEFAULT_METHODS`: ``('gradcam', 'gradcam++',
            'eigencam')``.
        input_size (int, optional): As for :func:`branch_cam`.
        progress (Callable, optional): Called with the number of images
            done after each image. Defaults to None.
        target_block (int): As for :func:`branch_cam`. Defaults to -1.

    Returns:
        dict: ``images``; ``chance``, the mean fraction of the image the
        masks cover (what a random point hits); ``centre``, the fraction of
        masks that cover the image's centre pixel ``(H // 2, W // 2)`` (what
        always pointing at the centre hits: a CAM must beat it to show more
        than a centred dataset); ``hit_rate``, keyed ``'<branch>/<method>'``;
        ``hit_rate_per_class``, the same per class (an image's class is the
        name of its folder).
    """
    for method in methods:
        if method not in METHODS:
            raise ValueError(f'method must be one of {list(METHODS)}, got '
                             f'{method!r}')
    hits = {f'{b}/{m}': [] for b in CAM_BRANCHES for m in methods}
    areas, centres, classes = [], [], []
    for index, (image, mask_path) in enumerate(pairs):
        mask = np.asarray(Image.open(mask_path).convert('L')) > 0
        areas.append(mask.mean())
        classes.append(osp.basename(osp.dirname(image)))
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
    per_class = {
        name: {
            key: float(np.mean([h for h, c in zip(values, classes)
                                if c == name]))
            for key, values in hits.items()
        }
        for name in sorted(set(classes))
    }
    return dict(images=len(pairs), chance=float(np.mean(areas)),
                centre=float(np.mean(centres)),
                hit_rate={k: float(np.mean(v)) for k, v in hits.items()},
                hit_rate_per_class=per_class)


def format_pointing_game(result: Dict[str, object],
                         split: str = 'val') -> str:
    """The result of :func:`pointing_game` as a table: a header line with
    the baselines, then one row per branch and a column per method."""
    methods = list(dict.fromkeys(
        key.split('/', 1)[1] for key in result['hit_rate']))
    lines = [
        f'Pointing game on {result["images"]} {split} images (chance: '
        f'{100 * result["chance"]:.1f}%, always the centre: '
        f'{100 * result["centre"]:.1f}%)',
        f'{"branch":<8}' + ''.join(f'{m:>11}' for m in methods)
    ]
    for branch in CAM_BRANCHES:
        lines.append(f'{branch:<8}' + ''.join(
            f'{100 * result["hit_rate"][f"{branch}/{m}"]:>10.1f}%'
            for m in methods))
    return '\n'.join(lines)


def pointing_game_figure(model: nn.Module,
                         pairs: Sequence[Tuple[str, str]],
                         input_size: Optional[int] = None,
                         target_block: int = -1):
    """A matplotlib figure with the first image of each class, and below it
    both branches' GradCAM maps with their maxima (``+``).

    Args:
        model (nn.Module): As for :func:`branch_cam`.
        pairs (Sequence[tuple]): ``(image path, mask path)`` pairs, as for
            :func:`pointing_game`; the class is the image's folder name.
        input_size (int, optional): As for :func:`branch_cam`.
        target_block (int): As for :func:`branch_cam`. Defaults to -1.

    Returns:
        matplotlib.figure.Figure: The figure (save it with ``savefig``).
    """
    import matplotlib.pyplot as plt

    from .cam import load_rgb
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
    return fig


def report_pointing_game(model: nn.Module,
                         data_root: str,
                         methods: Sequence[str] = DEFAULT_METHODS,
                         split: str = 'val',
                         input_size: Optional[int] = None,
                         target_block: int = -1,
                         limit: Optional[int] = None,
                         json_path: Optional[str] = None,
                         figure_path: Optional[str] = None,
                         meta: Optional[dict] = None,
                         progress: Optional[Callable[[int], None]] = None
                         ) -> Dict[str, object]:
    """Play the pointing game on a shapes split and report it: the table
    printed, the rates written as JSON and the figure drawn, each where
    asked (files written atomically).

    Args:
        model (nn.Module): Our classifier.
        data_root (str): A shapes dataset made with masks.
        methods (Sequence[str]): CAM methods. Defaults to
            :data:`DEFAULT_METHODS`.
        split (str): The split to score. Defaults to ``'val'``.
        input_size (int, optional): Short side of the CAM input. Defaults
            to None (the model's test size).
        target_block (int): The block whose output the CAMs explain.
            Defaults to -1.
        limit (int, optional): Score only the first ``limit`` images.
            Defaults to None (all).
        json_path (str, optional): Where to write the rates (and ``meta``).
            Defaults to None.
        figure_path (str, optional): Where to draw one image per class
            with both branches' GradCAM maps. Defaults to None.
        meta (dict, optional): Written beside the rates (config,
            checkpoint...). Defaults to None.
        progress (Callable[[int], None], optional): Called with the count
            of images scored. Defaults to None.

    Returns:
        dict: What :func:`pointing_game` returns.

    Raises:
        FileNotFoundError: ``data_root`` has no such split or no masks.
        ValueError: a method or block that does not exist.
    """
    import json

    from ..utils import atomic_write
    pairs = find_image_mask_pairs(data_root, split)
    pairs = pairs[:limit] if limit else pairs
    result = pointing_game(model, pairs, methods, input_size,
                           progress=progress, target_block=target_block)
    print(format_pointing_game(result, split))
    if json_path:
        with atomic_write(json_path, 'w') as f:
            json.dump(dict(result, **(meta or {}), input_size=input_size,
                           target_block=target_block), f, indent=2)
    if figure_path:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig = pointing_game_figure(model, pairs, input_size, target_block)
        with atomic_write(figure_path, 'wb') as f:
            fig.savefig(f, format='png', dpi=100)
        plt.close(fig)
        print(f'Saved {figure_path}')
    return result
