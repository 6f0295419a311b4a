"""mmconformer.datasets.shapes: argument checks of make_dataset and the
demos' ensure_dataset (the images themselves are tested through the CLI in
tests/test_tools/test_make_shapes_dataset.py)."""
import os

import numpy as np
import pytest
from PIL import Image

from mmconformer.datasets import (CLASSES, NEW_CLASSES, draw_shape,
                                  ensure_dataset, make_dataset)


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


@pytest.mark.parametrize('kwargs, message', [
    (dict(classes=('disc', 'hexagon')), "got ['disc', 'hexagon']"),
    (dict(classes=()), 'got []'),
    (dict(train_per_class=0), 'train_per_class must be a positive int, '
     'got 0'),
    (dict(val_per_class=1.5), 'val_per_class must be a positive int, '
     'got 1.5'),
    (dict(size=8), 'size must be an int >= 16, got 8'),
    (dict(radius_range=(0.3, 0.2)), 'got (0.3, 0.2)'),
])
def test_bad_arguments_name_the_value(tmp_path, kwargs, message):
    with pytest.raises(ValueError) as err:
        make_dataset(str(tmp_path / 'd'), **kwargs)
    assert message in str(err.value)
    assert not (tmp_path / 'd').exists()
    # nothing half-written is left beside it either
    assert os.listdir(tmp_path) == []


def test_every_shape_draws_its_own_mask():
    rng = np.random.default_rng(0)
    areas = {}
    for name in CLASSES + NEW_CLASSES:
        image, mask = draw_shape(name, 64, rng)
        assert image.size == mask.size == (64, 64)
        areas[name] = (np.asarray(mask) > 0).mean()
    assert all(0.02 < a < 0.6 for a in areas.values()), areas
    with pytest.raises(ValueError, match="unknown shape 'hexagon'"):
        draw_shape('hexagon', 64, rng)


def test_ensure_dataset_makes_it_once(tmp_path):
    dest = str(tmp_path / 'shapes')
    kwargs = dict(train_per_class=2, val_per_class=1, size=16,
                  classes=('disc', 'bar'), masks=True)
    assert ensure_dataset(dest, **kwargs) is True
    files = listing(dest)
    assert len(files) == 2 * (2 + 1) * 2  # images and masks
    assert 'masks/val/bar/00000.png' in files
    first = np.asarray(Image.open(os.path.join(dest, 'train/disc/00000.png')))
    # the second call keeps what is there, whatever it is asked for
    assert ensure_dataset(dest, **dict(kwargs, seed=5, size=32)) is False
    assert listing(dest) == files
    again = np.asarray(Image.open(os.path.join(dest, 'train/disc/00000.png')))
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize('flag, folder', [('masks', 'masks'),
                                          ('seg_maps', 'seg_maps')])
def test_ensure_dataset_refuses_one_made_without_the_extra(tmp_path, flag,
                                                           folder):
    dest = str(tmp_path / 'plain')
    ensure_dataset(dest, train_per_class=1, val_per_class=1, size=16)
    with pytest.raises(ValueError) as err:
        ensure_dataset(dest, **{flag: True})
    assert f'{dest} has no {folder}/' in str(err.value)
    assert f'--{flag.replace("_", "-")}' in str(err.value)
    # without the flag, the plain dataset is fine
    assert ensure_dataset(dest) is False
