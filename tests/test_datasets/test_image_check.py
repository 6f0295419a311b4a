"""LoadImageFromFile reading through the checked_image backend: the faults
real image folders have are read correctly or refused with one line naming
the file, each file is fetched once whatever the backend; the pre-flight
check lists them; training stops on one, or skips it."""
import collections
import glob
import io
import os.path as osp

import numpy as np
import pytest
from _helpers import (CONFIG_DIR, DEMO_CONFIG, call_main, load_tool,
                      write_tiny_config)
from _training import data_options, make_shapes
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.fileio import LocalBackend, register_backend
from PIL import Image

from mmconformer.datasets import (CHECKED_BACKEND, CheckedImageBackend,
                                  UnreadableImageError, bytes_problem,
                                  read_image_file)

RED = (200, 30, 40)  # RGB


def jpeg_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format='JPEG', quality=95)
    return buf.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format='PNG')
    return buf.getvalue()


def faulty_files(folder):
    """The faults of real ImageNet copies, as files in ``folder``:
    ``name -> (path, problem or None)``; None: read correctly."""
    rgb = Image.new('RGB', (40, 32), RED)
    gray = Image.new('L', (40, 32), 90)
    cmyk = rgb.convert('CMYK')
    wide = Image.fromarray(np.full((32, 40), 50000, np.uint16))
    files = {
        'truncated.jpg': (jpeg_bytes(rgb)[:300], 'truncated JPEG'),
        'empty.jpg': (b'', 'empty file (0 bytes)'),
        'cmyk.jpg': (jpeg_bytes(cmyk), None),
        'png_named.jpg': (png_bytes(rgb), None),
        'grayscale.jpg': (jpeg_bytes(gray), None),
        'sixteen_bit.png': (png_bytes(wide), None),
        'notes.jpg': (b'these are notes, not pixels\n' * 10,
                      'not an image file'),
    }
    out = {}
    for name, (data, problem) in files.items():
        path = osp.join(str(folder), name)
        with open(path, 'wb') as f:
            f.write(data)
        out[name] = (path, problem)
    return out


@pytest.fixture
def files(tmp_path):
    return faulty_files(tmp_path)


@register_backend('test_counting', force=True)
class CountingBackend(LocalBackend):
    """A stand-in for remote storage: local files, each fetch counted."""
    fetches = collections.Counter()

    def get(self, filepath):
        CountingBackend.fetches[str(filepath)] += 1
        return super().get(filepath)


def loader(ignore_empty=False, **backend_args):
    return Compose([
        dict(type='LoadImageFromFile', ignore_empty=ignore_empty,
             backend_args=dict(backend=CHECKED_BACKEND, **backend_args))
    ])


def test_each_fault_is_read_correctly_or_refused_with_its_file(files):
    pipeline = loader()
    for name, (path, problem) in files.items():
        if problem is None:
            img = pipeline(dict(img_path=path))['img']
            assert img.dtype == np.uint8 and img.shape == (32, 40, 3), name
            continue
        with pytest.raises(UnreadableImageError) as info:
            pipeline(dict(img_path=path))
        message = str(info.value)
        assert message.startswith(f'{path}: {problem}'), message
        assert '\n' not in message
    bgr = {name: pipeline(dict(img_path=files[name][0]))['img'][16, 20]
           for name in ('cmyk.jpg', 'png_named.jpg', 'grayscale.jpg',
                        'sixteen_bit.png')}
    red_bgr = np.array(RED[::-1])
    # colour images become the same BGR pixels (JPEG's error aside)
    assert np.abs(bgr['png_named.jpg'].astype(int) - red_bgr).max() == 0
    assert np.abs(bgr['cmyk.jpg'].astype(int) - red_bgr).max() <= 12
    # grayscale: three equal channels; 16-bit: scaled to 8 bits
    assert list(bgr['grayscale.jpg']) == [90] * 3
    assert list(bgr['sixteen_bit.png']) == [50000 >> 8] * 3


@pytest.fixture
def warnings_logged(monkeypatch):
    from mmconformer.datasets import image_check
    logged = []
    monkeypatch.setattr(image_check, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    return logged


def test_skip_mode_returns_nothing_and_counts(files, warnings_logged):
    pipeline = loader(ignore_empty=True, skip_unreadable=True)
    assert pipeline(dict(img_path=files['truncated.jpg'][0])) is None
    assert pipeline(dict(img_path=files['empty.jpg'][0])) is None
    skipped = warnings_logged
    assert len(skipped) == 2
    assert skipped[0].startswith(f'skipped {files["truncated.jpg"][0]}: '
                                 'truncated JPEG')
    assert skipped[1].endswith('(2 unreadable image(s) skipped by this '
                               'loader process)')
    assert pipeline(dict(img_path=files['cmyk.jpg'][0]))['img'].shape == \
        (32, 40, 3)


def test_stop_mode_warns_nothing(files, warnings_logged):
    with pytest.raises(UnreadableImageError):
        loader()(dict(img_path=files['empty.jpg'][0]))
    assert warnings_logged == []


def test_every_file_is_fetched_once_through_the_named_backend(files):
    """Remote storage (here a counting stand-in, named inside ours) is read
    once per image, good or bad, and gives the plain loader's pixels."""
    CountingBackend.fetches.clear()
    checked = loader(backend_args=dict(backend='test_counting'))
    plain = Compose([dict(type='LoadImageFromFile')])
    for name, (path, problem) in files.items():
        if problem is None:
            np.testing.assert_array_equal(
                checked(dict(img_path=path))['img'],
                plain(dict(img_path=path))['img'])
        else:
            with pytest.raises(UnreadableImageError):
                checked(dict(img_path=path))
    assert CountingBackend.fetches == {path: 1 for path, _ in files.values()}


def test_the_loader_stays_first_for_tools_that_look_there():
    """mmdeploy, mmdet and mmseg swap or drop pipeline[0] when it is
    LoadImageFromFile: every pipeline of every classification config
    starts with it, and reads through the check."""
    configs = [path for path in glob.glob(f'{CONFIG_DIR}/**/*.py',
                                          recursive=True)
               if '_base_' not in path and '/mmdeploy/' not in path
               and '/mmdet/' not in path and '/mmseg/' not in path
               and 'upernet' not in path]
    assert len(configs) >= 14
    for path in configs:
        cfg = Config.fromfile(path)
        pipelines = [cfg[f'{split}_dataloader']['dataset']['pipeline']
                     for split in ('train', 'val', 'test')]
        for pipeline in pipelines:
            assert pipeline[0]['type'] == 'LoadImageFromFile', path
            assert pipeline[0]['backend_args']['backend'] == \
                CHECKED_BACKEND, path
            assert [t['type'] for t in pipeline].count(
                'LoadImageFromFile') == 1, path


@pytest.mark.parametrize('head,tail,size,problem', [
    (b'\xff\xd8\xff\xe0', b'\xff\xd9', 100, None),
    (b'\xff\xd8\xff\xe0', b'\xff\xd9\x00\x00\n', 100, None),
    (b'\xff\xd8\xff\xe0', b'\x12\x34', 100, 'truncated JPEG'),
    (b'\x89PNG\r\n\x1a\n', b'IEND\xaeB`\x82', 100, None),
    (b'\x89PNG\r\n\x1a\n', b'IDAT1234', 100, 'truncated PNG'),
    (b'RIFF\x00\x00\x00\x00WEBPVP8 ', b'', 100, None),
    (b'RIFF\x00\x00\x00\x00WAVEfmt ', b'', 100, 'not an image file'),
    (b'GIF89a', b';', 10, None),
    (b'', b'', 0, 'empty file'),
])
def test_bytes_problem(head, tail, size, problem):
    found = bytes_problem(head, tail, size)
    assert (found is None) if problem is None else found.startswith(problem)


def test_a_missing_file_is_named(tmp_path):
    data, problem = read_image_file(str(tmp_path / 'gone.jpg'))
    assert data is None
    assert problem.startswith('cannot read it (FileNotFoundError')
    with pytest.raises(UnreadableImageError,
                       match=r'gone\.jpg: cannot read it'):
        loader()(dict(img_path=str(tmp_path / 'gone.jpg')))


def test_bad_arguments():
    with pytest.raises(TypeError, match='skip_unreadable must be a bool'):
        CheckedImageBackend(skip_unreadable='yes')
    with pytest.raises(ValueError, match='cannot fetch through itself'):
        CheckedImageBackend(backend_args=dict(backend=CHECKED_BACKEND))


@pytest.fixture
def shapes_with_faults(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    return data, faulty_files(data / 'train' / 'disc')


def test_verify_dataset_lists_every_unreadable_image(shapes_with_faults,
                                                     capsys):
    data, files = shapes_with_faults
    tool = load_tool('misc/verify_dataset.py')
    out_path = data / 'unreadable.txt'
    code, out, err = call_main(
        tool, capsys, DEMO_CONFIG, '--num-process', 2, '--out-path',
        out_path, '--cfg-options',
        f'train_dataloader.dataset.data_root={data}')
    assert code == 1, err
    bad = {path: problem for path, problem in files.values() if problem}
    listed = [line for line in out.splitlines() if line.startswith(str(data))]
    assert sorted(listed) == sorted(out_path.read_text().splitlines())
    assert len(listed) == len(bad) == 3
    for line in listed:
        path, problem = line.split(': ', 1)
        assert problem.startswith(bad[path])
    assert f'3 of {6 * 4 + 7} train images unreadable' in out
    code, out, _ = call_main(tool, capsys, DEMO_CONFIG, '--split', 'val',
                             '--cfg-options',
                             f'val_dataloader.dataset.data_root={data}')
    assert code == 0 and 'All 6 val images are readable' in out


@pytest.mark.slow
@pytest.mark.parametrize('workers', [0, 1])
def test_training_stops_on_an_unreadable_image_with_one_line(
        shapes_with_faults, tmp_path, capsys, workers):
    data, files = shapes_with_faults
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16)
    tool = load_tool('train.py')
    code, _, err = call_main(
        tool, capsys, config, '--work-dir', tmp_path / 'work',
        '--cfg-options', *data_options(data, workers),
        'train_dataloader.batch_size=31', 'train_cfg.max_epochs=1')
    assert code == 1
    (line, ) = err.strip().splitlines()
    refused = [f'error: {path}: {problem}' for path, problem in files.values()
               if problem]
    assert any(line.startswith(expected) for expected in refused), line


@pytest.mark.slow
def test_training_skips_unreadable_images_when_told(shapes_with_faults,
                                                    tmp_path, capsys):
    data, _ = shapes_with_faults
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16)
    tool = load_tool('train.py')
    code, out, err = call_main(
        tool, capsys, config, '--work-dir', tmp_path / 'work',
        '--cfg-options', *data_options(data),
        'train_dataloader.dataset.pipeline.0.ignore_empty=True',
        'train_dataloader.dataset.pipeline.0.backend_args.'
        'skip_unreadable=True',
        'train_dataloader.batch_size=31', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1')
    assert code == 0, err
    skipped = [line for line in out.splitlines() if 'skipped ' in line]
    assert 3 <= len(skipped)
    assert '(3 unreadable image(s) skipped by this loader process)' in out
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
