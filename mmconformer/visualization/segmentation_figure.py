# Copyright (c) mmconformer contributors. All rights reserved.
"""Semantic label maps side by side: image, ground truth, prediction."""
from typing import Optional, Sequence, Tuple

import numpy as np

__all__ = ['colorize_labels', 'draw_val_predictions', 'segmentation_figure']


def colorize_labels(labels: np.ndarray,
                    palette: Sequence[Sequence[int]]) -> np.ndarray:
    """An ``H x W x 3`` uint8 RGB picture of an ``H x W`` label map.

    Args:
        labels (np.ndarray): Integer class indices; 255 (mmseg's ignore
            index) is drawn white.
        palette (Sequence[Sequence[int]]): One RGB colour per class.

    Returns:
        np.ndarray: The coloured map.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f'labels must be H x W, got shape {labels.shape}')
    colours = np.zeros((256, 3), dtype=np.uint8)
    colours[255] = 255
    colours[:len(palette)] = np.asarray(palette, dtype=np.uint8)
    bad = np.setdiff1d(np.unique(labels), np.r_[np.arange(len(palette)), 255])
    if bad.size:
        raise ValueError(f'labels {bad.tolist()} have no palette colour '
                         f'({len(palette)} classes)')
    return colours[labels]


def segmentation_figure(rows: Sequence[Tuple[np.ndarray, np.ndarray,
                                             np.ndarray]],
                        class_names: Sequence[str],
                        palette: Sequence[Sequence[int]],
                        title: Optional[str] = None):
    """A matplotlib figure with one column per image: the image, its ground
    truth and the prediction, with a legend of the classes.

    Args:
        rows (Sequence[tuple]): ``(rgb, ground_truth, prediction)`` per
            image: an ``H x W x 3`` uint8 RGB array and two ``H x W`` label
            maps.
        class_names (Sequence[str]): Class names, in label order.
        palette (Sequence[Sequence[int]]): One RGB colour per class.
        title (str, optional): Figure title. Defaults to None.

    Returns:
        matplotlib.figure.Figure: The figure (save it with ``savefig``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if not rows:
        raise ValueError('rows is empty: give at least one image')
    if len(class_names) != len(palette):
        raise ValueError(f'{len(class_names)} class names but '
                         f'{len(palette)} palette colours')
    fig, axes = plt.subplots(3, len(rows), squeeze=False,
                             figsize=(1.6 * len(rows) + 1.2, 5.2))
    for col, (rgb, truth, pred) in enumerate(rows):
        if truth.shape != pred.shape or rgb.shape[:2] != truth.shape:
            raise ValueError(
                f'image {col}: image {rgb.shape[:2]}, ground truth '
                f'{truth.shape} and prediction {pred.shape} differ in size')
        for row, picture in enumerate(
                (rgb, colorize_labels(truth, palette),
                 colorize_labels(pred, palette))):
            axes[row, col].imshow(picture, interpolation='nearest')
            axes[row, col].set_xticks([])
            axes[row, col].set_yticks([])
    for row, label in enumerate(('image', 'ground truth', 'prediction')):
        axes[row, 0].set_ylabel(label)
    handles = [Patch(color=np.asarray(c) / 255, label=n)
               for n, c in zip(class_names, palette)]
    fig.legend(handles=handles, loc='lower center', ncol=len(handles),
               fontsize='small', frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def draw_val_predictions(runner, path: str, count: int, title: str) -> None:
    """Run a trained segmentation runner's model on ``count`` evenly spaced
    val images and draw them beside their ground truth and prediction
    (:func:`segmentation_figure`), written atomically to ``path``.

    Args:
        runner (Runner): A trained mmseg runner.
        path (str): The PNG to write.
        count (int): How many val images.
        title (str): The figure's title.
    """
    import torch
    from mmengine.dataset import pseudo_collate

    from ..utils import atomic_write
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
                              title=title)
    with atomic_write(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=120)
