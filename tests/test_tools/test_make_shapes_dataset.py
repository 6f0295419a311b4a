"""tools/dataset_converters/make_shapes_dataset.py, called in this process
(one test runs it as a script)."""
import contextlib
import io
import os
import os.path as osp
import subprocess
import sys
import types

import numpy as np
import pytest
from _helpers import REPO_ROOT, load_tool
from PIL import Image

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                'make_shapes_dataset.py')
CLASSES = ['bar', 'cross', 'disc', 'ring', 'square', 'triangle']
CLI = load_tool('dataset_converters/make_shapes_dataset.py')


def make(dest, *extra):
    """``main`` on a small dataset: its exit code (argparse's included),
    stdout and stderr, as a subprocess would give them."""
    argv = [str(dest), '--train-per-class', '5', '--val-per-class', '2',
            '--size', '32', *extra]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = CLI.main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return types.SimpleNamespace(returncode=code or 0, stdout=out.getvalue(),
                                 stderr=err.getvalue())


def test_the_cli_runs_as_a_script(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, str(tmp_path / 's'), '--train-per-class', '1',
         '--val-per-class', '1', '--size', '16', '--classes', 'disc', 'bar'],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == \
        f'Wrote 4 images of 2 classes to {tmp_path / "s"}'
    assert result.stderr == ''
    assert sorted(os.listdir(tmp_path / 's' / 'val')) == ['bar', 'disc']


def read_all(root):
    return {
        osp.relpath(osp.join(d, f), root):
        np.asarray(Image.open(osp.join(d, f)))
        for d, _, files in os.walk(root) for f in files
    }


def test_layout_counts_and_seed(tmp_path):
    assert make(tmp_path / 'a').returncode == 0
    for split, count in (('train', 5), ('val', 2)):
        assert sorted(os.listdir(tmp_path / 'a' / split)) == CLASSES
        for name in CLASSES:
            files = os.listdir(tmp_path / 'a' / split / name)
            assert len(files) == count
    images = read_all(tmp_path / 'a')
    assert all(im.shape == (32, 32, 3) for im in images.values())
    make(tmp_path / 'b')
    same = read_all(tmp_path / 'b')
    assert all(np.array_equal(images[k], same[k]) for k in images)
    make(tmp_path / 'c', '--seed', '1')
    other = read_all(tmp_path / 'c')
    assert any(not np.array_equal(images[k], other[k]) for k in images)


def test_colour_does_not_give_the_class_away(tmp_path):
    """Mean image colour per class is the same within noise."""
    make(tmp_path / 'd', '--train-per-class', '60')
    means = []
    for name in CLASSES:
        folder = tmp_path / 'd' / 'train' / name
        means.append(np.mean([
            np.asarray(Image.open(folder / f)).mean((0, 1))
            for f in os.listdir(folder)
        ], axis=0))
    means = np.array(means)
    assert np.abs(means - means.mean(0)).max() < 30


@pytest.mark.parametrize('args, message', [
    (['--size', '0'], 'size must be an int >= 16, got 0'),
    (['--train-per-class', '-1'], 'train_per_class must be a positive int, '
     'got -1'),
    (['--radius', '0.3', '0.2'], 'got (0.3, 0.2)'),
    (['--radius', '0', '0.2'], 'got (0.0, 0.2)'),
    (['--radius', '0.2', '0.6'], 'got (0.2, 0.6)')])
def test_bad_options(tmp_path, args, message):
    result = make(tmp_path / 'e', *args)
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and message in result.stderr
    assert not (tmp_path / 'e').exists()
    assert os.listdir(tmp_path) == []


def test_existing_dest_is_refused(tmp_path):
    (tmp_path / 'f').mkdir()
    result = make(tmp_path / 'f')
    assert result.returncode == 1 and 'exists' in result.stderr


def test_masks_match_the_images_and_change_nothing(tmp_path):
    assert make(tmp_path / 'plain').returncode == 0
    assert make(tmp_path / 'masked', '--masks').returncode == 0
    plain, masked = read_all(tmp_path / 'plain'), read_all(tmp_path / 'masked')
    images = {k: v for k, v in masked.items() if not k.startswith('masks')}
    assert images.keys() == plain.keys()
    assert all(np.array_equal(images[k], plain[k]) for k in plain)
    masks = {k: v for k, v in masked.items() if k.startswith('masks')}
    assert len(masks) == len(plain)
    for key, mask in masks.items():
        image = images[key[len('masks/'):]]
        assert mask.shape == image.shape[:2]
        assert set(np.unique(mask)) <= {0, 255}
        on, off = image[mask > 0], image[mask == 0]
        # the shape is drawn in one colour, unlike the noisy background
        assert len(on) > 0 and len(off) > 0
        assert np.abs(on.mean(0) - off.mean(0)).sum() > 100, key


def test_new_classes_for_the_finetuning_demo(tmp_path):
    result = make(tmp_path / 'new', '--classes', 'star', 'pentagon', 'arrow',
                  'crescent')
    assert result.returncode == 0
    assert sorted(os.listdir(tmp_path / 'new' / 'train')) == [
        'arrow', 'crescent', 'pentagon', 'star']
    bad = make(tmp_path / 'bad', '--classes', 'hexagon')
    assert bad.returncode == 2 and "invalid choice: 'hexagon'" in bad.stderr


def test_seg_maps_label_each_shape_with_its_class(tmp_path):
    assert make(tmp_path / 'masked', '--masks').returncode == 0
    assert make(tmp_path / 'seg', '--masks', '--seg-maps').returncode == 0
    masked, seg = read_all(tmp_path / 'masked'), read_all(tmp_path / 'seg')
    # the images and masks are those written without --seg-maps
    assert all(np.array_equal(seg[k], masked[k]) for k in masked)
    maps = {k[len('seg_maps/'):]: v for k, v in seg.items()
            if k.startswith('seg_maps/')}
    assert len(maps) == len(masked) // 2 == 6 * 7
    # default --classes order: disc 1, square 2, triangle 3, ring 4,
    # cross 5, bar 6
    labels = dict(disc=1, square=2, triangle=3, ring=4, cross=5, bar=6)
    for key, label_map in maps.items():
        mask = seg['masks/' + key]
        expected = np.where(mask > 0, labels[key.split('/')[1]], 0)
        assert label_map.dtype == np.uint8 and label_map.ndim == 2
        np.testing.assert_array_equal(label_map, expected, err_msg=key)


def test_seg_maps_follow_the_classes_option(tmp_path):
    assert make(tmp_path / 'new', '--seg-maps', '--classes', 'star',
                'arrow').returncode == 0
    for index, name in enumerate(('star', 'arrow'), start=1):
        folder = tmp_path / 'new' / 'seg_maps' / 'val' / name
        values = set()
        for f in os.listdir(folder):
            values |= set(np.unique(np.asarray(Image.open(folder / f))))
        assert values == {0, index}


def mask_radii(root):
    """Per mask: the half-extent of the shape's bounding box (in pixels)
    and its bounding-box centre."""
    out = []
    for key, mask in read_all(root).items():
        if key.startswith('masks') and 'disc' in key:
            ys, xs = np.nonzero(mask)
            centre = ((ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2)
            out.append(((xs.max() - xs.min() + 1) / 2, centre))
    return out


def test_radius_sets_the_shape_size_and_frees_the_position(tmp_path):
    """Discs' masks are as wide as 2 x radius: the default (0.30-0.42 of a
    32 px side) gives 9.6-13.4 px radii, --radius 0.1 0.15 gives 3.2-4.8 px,
    and the smaller discs are spread over the image."""
    make(tmp_path / 'default', '--masks', '--train-per-class', '20')
    make(tmp_path / 'small', '--masks', '--train-per-class', '20',
         '--radius', '0.1', '0.15')
    default, small = mask_radii(tmp_path / 'default'), \
        mask_radii(tmp_path / 'small')
    assert len(default) == len(small) == 22
    assert all(9 <= r <= 14 for r, _ in default)
    assert all(2.5 <= r <= 5.5 for r, _ in small)
    offsets = [max(abs(y - 15.5), abs(x - 15.5)) for _, (y, x) in small]
    # centres may lie up to 16 - 4.8 = 11.2 px from the middle
    assert max(offsets) > 7 and max(offsets) <= 12


def test_default_radius_keeps_the_images(tmp_path):
    """Passing the default range explicitly changes no pixel."""
    make(tmp_path / 'a')
    make(tmp_path / 'b', '--radius', '0.30', '0.42')
    a, b = read_all(tmp_path / 'a'), read_all(tmp_path / 'b')
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k], b[k]) for k in a)
