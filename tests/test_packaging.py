"""configs/, tools/ and model-index.yml ship in mmconformer/.mim for wheel,
sdist and editable installs."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from _helpers import REPO_ROOT

import mmconformer

EXPECTED = [
    'configs/conformer-tiny-p16_8xb128_in1k.py',
    'configs/_base_/models/conformer-base-p16.py',
    'configs/_base_/schedules/imagenet_bs1024_adamw_conformer.py',
    'configs/metafile.yml',
    'configs/mmseg/upernet_conformer-small-p32_8xb2-160k_ade20k-512x512.py',
    'tools/model_converters/conformer_to_mmpretrain.py',
    'tools/analysis_tools/get_flops.py',
    'model-index.yml',
]


def build(kind, out_dir, tmp_path):
    """Build from a copy of the source tree: a build copies configs/ and
    tools/ into mmconformer/.mim, which must not replace the symlinks of the
    developer's editable install."""
    src = tmp_path / 'src'
    shutil.copytree(
        REPO_ROOT, src, symlinks=True,
        ignore=shutil.ignore_patterns('.venv', '.git', '.mim', 'build',
                                      '*.egg-info', 'work_dirs', 'data'))
    cmd = {
        'wheel': [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                  '--no-build-isolation', '-w', str(out_dir), str(src)],
        'sdist': [sys.executable, 'setup.py', '-q', 'sdist', '-d',
                  str(out_dir)],
    }[kind]
    subprocess.run(cmd, check=True, cwd=src, capture_output=True)


@pytest.mark.slow
def test_wheel_ships_mim_folder(tmp_path):
    out = tmp_path / 'dist'
    build('wheel', out, tmp_path)
    (wheel, ) = out.glob('mmconformer-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in EXPECTED:
        assert f'mmconformer/.mim/{rel}' in names, rel
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith('METADATA'))).decode()
    requires = [line.split(':', 1)[1].strip()
                for line in metadata.splitlines()
                if line.startswith('Requires-Dist:')]
    core = [r for r in requires if 'extra ==' not in r]
    assert any(r.startswith('mmpretrain') for r in core)
    # mmcv / mmcv-lite overwrite each other: only the mim extra names mmcv.
    assert not any(r.startswith('mmcv') for r in core)
    assert any(r.startswith('mmcv') and 'extra == "mim"' in r
               for r in requires)
    assert 'Provides-Extra: tests' in metadata
    assert 'Provides-Extra: mim' in metadata
    # detection and segmentation need the compiled mmcv: only in an extra
    assert not any(r.startswith(('mmdet', 'mmsegmentation')) for r in core)
    assert any(r.startswith('mmsegmentation==1.2.2') and
               'extra == "dense"' in r for r in requires)
    assert any(r.startswith('ftfy') and 'extra == "dense"' in r
               for r in requires)


@pytest.mark.slow
def test_sdist_ships_mim_folder(tmp_path):
    out = tmp_path / 'dist'
    build('sdist', out, tmp_path)
    (sdist, ) = out.glob('mmconformer-*.tar.gz')
    with tarfile.open(sdist) as tar:
        names = {n.split('/', 1)[1] for n in tar.getnames() if '/' in n}
    for rel in EXPECTED:
        assert f'mmconformer/.mim/{rel}' in names, rel
        assert rel in names, rel
    # pip builds an sdist with the in-tree backend pyproject.toml names
    assert 'build_backend/mmconformer_build.py' in names
    assert 'pyproject.toml' in names


def test_editable_install_has_mim_folder():
    root = osp.join(osp.dirname(mmconformer.__file__), '.mim')
    for rel in EXPECTED:
        assert osp.isfile(osp.join(root, rel)), rel


def test_version_from_version_file():
    from mmconformer.version import __version__
    assert mmconformer.__version__ == __version__
    out = subprocess.run([sys.executable, 'setup.py', '--version'],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == __version__


@pytest.mark.slow
def test_mim_search_after_a_regular_install(tmp_path):
    """`mim search mmconformer` reads <site-packages>/mmconformer/.mim/
    model-index.yml: a regular (wheel) install has it (editable installs:
    tests/test_build_backend.py)."""
    out = tmp_path / 'dist'
    build('wheel', out, tmp_path)
    (wheel, ) = out.glob('mmconformer-*.whl')
    target = tmp_path / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                    '--target', str(target), str(wheel)], check=True,
                   capture_output=True)
    mim = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')
    result = subprocess.run([mim, 'search', 'mmconformer'],
                            capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(target)))
    assert result.returncode == 0, result.stderr[-2000:]
    for name in ('conformer-tiny-p16_mmconformer_in1k',
                 'conformer-base-p16_mmconformer_in1k'):
        assert name in result.stdout
