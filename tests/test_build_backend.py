"""build_backend/mmconformer_build.py: setuptools' backend, plus an editable
install in which `mim search mmconformer` finds the model index."""
import base64
import hashlib
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest
from _helpers import REPO_ROOT

import mmconformer_build as backend

MODEL_NAMES = ('conformer-tiny-p16_mmconformer_in1k',
               'conformer-small-p32_mmconformer_in1k',
               'conformer-small-p16_mmconformer_in1k',
               'conformer-base-p16_mmconformer_in1k')


def make_wheel(path, files):
    """A minimal wheel: ``files`` plus a RECORD (hashes left out, as the
    backend must write them itself)."""
    record = 'demo-0.1.dist-info/RECORD'
    with zipfile.ZipFile(path, 'w') as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(record, ''.join(f'{n},,\n' for n in files) +
                       f'{record},,\n')
    return str(path)


def read_wheel(path):
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def source_tree(tmp_path):
    """A package root: a folder holding ``mmconformer/__init__.py``."""
    root = tmp_path / 'src'
    (root / 'mmconformer').mkdir(parents=True)
    (root / 'mmconformer' / '__init__.py').write_text('')
    return str(root)


def test_source_roots_are_the_pth_paths_that_hold_the_package(tmp_path):
    root = source_tree(tmp_path)
    other = tmp_path / 'other'
    other.mkdir()
    pth = (f'# a comment\n{other}\nimport __editable___finder; '
           f'__editable___finder.install()\n\n  {root}  \n')
    assert backend.source_roots(pth) == [root]
    assert backend.source_roots('import x; x.install()\n') == []


def test_mim_index_imports_the_source_tree_index_by_absolute_path(tmp_path):
    from modelindex import load
    index = tmp_path / 'site' / 'mmconformer' / 'model-index.yml'
    index.parent.mkdir(parents=True)
    index.write_text(backend.mim_index_text(REPO_ROOT))
    names = [model.name for model in load(str(index)).models]
    assert sorted(names) == sorted(MODEL_NAMES)
    # quoted: a path with spaces or a colon stays one YAML string
    text = backend.mim_index_text('/a b/c: d')
    assert json.dumps('/a b/c: d/model-index.yml') in text


def test_added_files_get_a_valid_record(tmp_path):
    wheel = make_wheel(tmp_path / 'demo-0.1-py3-none-any.whl',
                       {'demo/__init__.py': b'x = 1\n'})
    backend.add_files_to_wheel(wheel, {'demo/extra.yml': b'a: 1\n'})
    entries = read_wheel(wheel)
    assert entries['demo/extra.yml'] == b'a: 1\n'
    assert entries['demo/__init__.py'] == b'x = 1\n'
    record = entries.pop('demo-0.1.dist-info/RECORD').decode().splitlines()
    assert 'demo-0.1.dist-info/RECORD,,' in record
    listed = {}
    for line in record:
        name, digest, size = line.rsplit(',', 2)
        if name != 'demo-0.1.dist-info/RECORD':
            listed[name] = (digest, int(size))
    assert set(listed) == set(entries)
    for name, data in entries.items():
        expected = base64.urlsafe_b64encode(
            hashlib.sha256(data).digest()).rstrip(b'=').decode()
        assert listed[name] == (f'sha256={expected}', len(data)), name
    assert [p for p in os.listdir(tmp_path) if p.startswith('.')] == []


def test_index_added_only_beside_a_pth_that_puts_the_tree_on_the_path(
        tmp_path):
    root = source_tree(tmp_path)
    static = make_wheel(tmp_path / 'a.whl',
                        {'__editable__.demo.pth': f'{root}\n'})
    assert backend.add_mim_index(static) == root
    text = read_wheel(static)[backend.MIM_INDEX].decode()
    assert json.dumps(osp.join(root, 'model-index.yml')) in text
    # setuptools' import-hook kind: a folder named mmconformer in
    # site-packages would hide the package, so nothing is added
    hook = make_wheel(tmp_path / 'b.whl', {
        '__editable__.demo.pth': 'import __editable___demo_finder; '
        '__editable___demo_finder.install()\n',
        '__editable___demo_finder.py': 'def install(): pass\n'
    })
    before = read_wheel(hook)
    assert backend.add_mim_index(hook) is None
    assert read_wheel(hook) == before


def test_setup_declares_the_package_dir_that_selects_a_pth_install():
    """setuptools puts the tree on sys.path with a .pth file (the kind the
    index is added to) when the root package dir is declared."""
    with open(osp.join(REPO_ROOT, 'pyproject.toml')) as f:
        pyproject = f.read()
    assert 'build-backend = "mmconformer_build"' in pyproject
    assert 'backend-path = ["build_backend"]' in pyproject
    with open(osp.join(REPO_ROOT, 'setup.py')) as f:
        assert "package_dir={'': '.'}" in f.read()


def _mim() -> str:
    return shutil.which('mim') or osp.join(osp.dirname(sys.executable),
                                           'mim')


@pytest.mark.slow
def test_editable_install_is_found_by_mim_and_imports_the_tree(tmp_path):
    """The whole path on a copy of the source tree: the backend's editable
    wheel, installed by pip into a fresh venv, imports the package from the
    tree, lets `mim search` list our models, and uninstalls cleanly."""
    src = tmp_path / 'src'
    shutil.copytree(
        REPO_ROOT, src, symlinks=True,
        ignore=shutil.ignore_patterns('.venv', '.git', '.mim', 'build',
                                      '*.egg-info', 'work_dirs', 'data'))
    dist = tmp_path / 'dist'
    dist.mkdir()
    # what pip does with --no-build-isolation: the backend's hook in the tree
    subprocess.run([
        sys.executable, '-c',
        'import sys; sys.path.insert(0, "build_backend"); '
        'import mmconformer_build as b; '
        f'print(b.build_editable({str(dist)!r}))'
    ], cwd=src, check=True, capture_output=True)
    (wheel, ) = dist.glob('mmconformer-*.whl')
    entries = read_wheel(wheel)
    assert backend.MIM_INDEX in entries
    assert not [n for n in entries if n.startswith('mmconformer/')
                and n.endswith('.py')]

    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    pip = [python, '-m', 'pip', '-q', '--disable-pip-version-check']
    subprocess.run(pip + ['install', '--no-deps', str(wheel)], check=True)
    site = subprocess.run(
        [python, '-c', 'import sysconfig; '
         'print(sysconfig.get_paths()["purelib"])'],
        check=True, capture_output=True, text=True).stdout.strip()
    # the import finds the tree's package, not the data-only folder (run
    # elsewhere: `python -c` puts the working directory first on the path)
    origin = subprocess.run(
        [python, '-c', 'import importlib.util; '
         'print(importlib.util.find_spec("mmconformer").origin)'],
        check=True, capture_output=True, text=True,
        cwd=tmp_path).stdout.strip()
    assert origin == str(src / 'mmconformer' / '__init__.py')

    # mim (of this environment) reads the fresh venv's install first
    result = subprocess.run([_mim(), 'search', 'mmconformer'],
                            capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=site))
    assert result.returncode == 0, result.stderr[-2000:]
    for name in MODEL_NAMES:
        assert name in result.stdout
    with open(osp.join(site, backend.MIM_INDEX)) as f:
        assert str(src) in f.read()

    subprocess.run(pip + ['uninstall', '-y', 'mmconformer'], check=True)
    assert not [p for p in os.listdir(site) if 'mmconformer' in p]


def _installed_editable() -> bool:
    """Whether site-packages' record of mmconformer (not an egg-info in
    the working directory) says it is an editable install."""
    import importlib.metadata
    dists = list(importlib.metadata.distributions(
        name='mmconformer', path=[sysconfig.get_paths()['purelib']]))
    direct_url = dists[0].read_text('direct_url.json') if dists else None
    return bool(direct_url and json.loads(direct_url).get(
        'dir_info', {}).get('editable'))


@pytest.mark.slow
@pytest.mark.plain_clone
@pytest.mark.skipif(not _installed_editable(),
                    reason='mmconformer is not installed editable here '
                    '(test_packaging covers a regular install)')
def test_mim_search_in_this_environment():
    """What a user runs after the README's install: this environment's
    mmconformer, as `make install` put it there (editable)."""
    result = subprocess.run([_mim(), 'search', 'mmconformer'],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in MODEL_NAMES:
        assert name in result.stdout
    purelib = sysconfig.get_paths()['purelib']
    with open(osp.join(purelib, backend.MIM_INDEX)) as f:
        assert json.dumps(osp.join(REPO_ROOT, 'model-index.yml')) in f.read()
