# Copyright (c) mmconformer contributors. All rights reserved.
"""Images for int8 calibration, prepared as the model's config tests them."""
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence

import torch
import torch.nn as nn

__all__ = [
    'IMAGE_EXTENSIONS', 'calibration_batches', 'calibration_images',
    'calibration_inputs', 'dataset_image_paths', 'evenly_spaced',
    'find_images'
]

#: Files :func:`find_images` takes for images.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff')


def find_images(folder: str, num_images: Optional[int] = None) -> List[str]:
    """Image files under ``folder`` (recursively, sorted), or
    ``num_images`` of them evenly spaced over that list.

    Raises:
        ValueError: ``folder`` is not a folder, or holds no image.
    """
    if not osp.isdir(folder):
        raise ValueError(f'calibration folder not found: {folder}')
    paths = sorted(
        osp.join(root, name) for root, _, names in os.walk(folder)
        for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
    if not paths:
        raise ValueError(f'no image ({", ".join(IMAGE_EXTENSIONS)}) in '
                         f'{folder}')
    return evenly_spaced(paths, num_images)


def calibration_batches(model: nn.Module,
                        images: Sequence[str],
                        batch_size: int = 8) -> Iterator[List[torch.Tensor]]:
    """``images`` through the test pipeline of the model's config (as
    :func:`~mmconformer.apis.load_classifier` and mmpretrain's
    ``get_model`` attach it), in batches: lists of ``3 x H x W`` uint8 BGR
    tensors, what the model's data preprocessor takes as ``inputs``.

    Raises:
        ValueError: the model carries no config.
    """
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    cfg = getattr(model, '_config', None)
    if cfg is None:
        raise ValueError('calibration needs the model to carry its config '
                         '(load it with mmconformer.apis.load_classifier)')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    batch: List[torch.Tensor] = []
    for path in images:
        batch.append(pipeline(dict(img_path=path))['inputs'])
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def calibration_inputs(model: nn.Module,
                       images: Sequence[str],
                       batch_size: int = 8) -> List[torch.Tensor]:
    """:func:`calibration_batches` through the model's data preprocessor:
    what ``optimize_for_inference(model, 'int8', calibration=...)`` takes."""
    with torch.no_grad():
        return [
            model.data_preprocessor({'inputs': batch}, False)['inputs']
            for batch in calibration_batches(model, images, batch_size)
        ]


def dataset_image_paths(cfg, split: str = 'train') -> List[str]:
    """The ``img_path`` of every sample of a config's ``<split>_dataloader``
    dataset, built without its pipeline (nothing is decoded).

    Raises:
        ValueError: the config has no such dataloader.
    """
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset = DATASETS.build(dict(loader.dataset, pipeline=[]))
    return [dataset.get_data_info(i)['img_path']
            for i in range(len(dataset))]


def evenly_spaced(items: Sequence, count: Optional[int]) -> list:
    """``count`` items evenly spaced over ``items`` (all when ``count`` is
    None or not smaller)."""
    items = list(items)
    if count is None or count >= len(items):
        return items
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def calibration_images(calib_dir: Optional[str], count: int,
                       cfg=None) -> List[str]:
    """The images an int8 model is calibrated on: ``count`` of
    ``calib_dir``'s (:func:`find_images`) or, without it, ``count`` of the
    config's training images, evenly spaced (never its test images).

    Raises:
        ValueError: no ``calib_dir`` and no ``cfg``, or no images found.
    """
    if calib_dir:
        return find_images(calib_dir, count)
    if cfg is None:
        raise ValueError('int8 needs images to calibrate on: --calib-dir DIR')
    return evenly_spaced(dataset_image_paths(cfg, 'train'), count)
