# Copyright (c) mmconformer contributors. All rights reserved.
"""The PEP 517 build backend of mmconformer: setuptools' own, with an
editable install that ``mim`` can find.

openmim 0.3.9 (the latest) looks for a package's ``.mim/model-index.yml``
under ``<dist-info location>/<package>``, i.e. ``site-packages/mmconformer``
(``mim.utils.get_installed_path``). A regular install has it. A PEP 660
editable install keeps the package in the source tree and puts only a
``.pth`` file into site-packages, so ``mim search mmconformer`` fails with
``model-index.yml ... is not found``. Legacy ``setup.py develop`` installs,
which mim was written for, are gone from pip and setuptools.

So :func:`build_editable` adds one data file to setuptools' editable wheel:
``mmconformer/model-index.yml``, which imports the source tree's
``model-index.yml`` by absolute path (edits to the metafiles show at once).
That folder holds no Python file. Python imports the real package from the
source tree, which the wheel's ``.pth`` file puts on ``sys.path``: a regular
package anywhere on the path wins over a folder without ``__init__.py``
(PEP 420). The file is only added when the wheel is of that kind, never
beside setuptools' import-hook kind of editable install, where such a
folder would hide the package; ``setup.py`` makes setuptools pick the
``.pth`` kind (``package_dir={'': '.'}``).

Everything else is ``setuptools.build_meta``, as the setuptools
documentation shows for in-tree backends ("Dynamic build dependencies and
other build_meta tweaks").
"""
import base64
import hashlib
import importlib.util
import json
import os.path as osp
import warnings
import zipfile
from typing import Dict, List, Optional

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 (the other hooks)

PACKAGE = 'mmconformer'
#: One of the places mim looks, inside the wheel (i.e. site-packages); a
#: file right in the folder, so that ``pip uninstall`` removes the folder
#: too (it removes the folders of the files it installed).
MIM_INDEX = f'{PACKAGE}/model-index.yml'


def _atomic_write():
    """The package's one atomic-write helper, loaded from its file: the
    build environment has no torch, so ``mmconformer`` itself can't be
    imported here."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), '..', PACKAGE,
                    'utils', 'atomic.py')
    spec = importlib.util.spec_from_file_location('_mmconformer_atomic',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.atomic_write


def source_roots(pth_text: str) -> List[str]:
    """The ``sys.path`` entries of a ``.pth`` file that hold the package
    (lines that are ``import`` statements or hold no package are left
    out)."""
    roots = []
    for line in pth_text.splitlines():
        line = line.strip()
        if line and not line.startswith(('#', 'import ', 'import\t')) and \
                osp.isfile(osp.join(line, PACKAGE, '__init__.py')):
            roots.append(line)
    return roots


def mim_index_text(source_root: str) -> str:
    """The site-packages ``model-index.yml``: an import of the source
    tree's, by absolute path (a JSON string is a YAML scalar)."""
    return ('# mmconformer editable install: the model index of the '
            'source tree\nImport:\n  - '
            f'{json.dumps(osp.join(source_root, "model-index.yml"))}\n')


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(
        hashlib.sha256(data).digest()).rstrip(b'=').decode()
    return f'{name},sha256={digest},{len(data)}'


def add_files_to_wheel(wheel_path: str, files: Dict[str, bytes]) -> None:
    """Rewrite ``wheel_path`` with ``files`` added and its RECORD updated,
    atomically."""
    with zipfile.ZipFile(wheel_path) as wheel:
        entries = {info.filename: wheel.read(info)
                   for info in wheel.infolist()}
    record = next(name for name in entries
                  if name.endswith('.dist-info/RECORD'))
    entries.update(files)
    lines = [_record_line(name, data) for name, data in entries.items()
             if name != record]
    entries[record] = ('\n'.join(lines + [f'{record},,']) + '\n').encode()
    with _atomic_write()(wheel_path) as f, \
            zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries.items():
            wheel.writestr(name, data)


def add_mim_index(wheel_path: str) -> Optional[str]:
    """Add :data:`MIM_INDEX` to an editable wheel whose ``.pth`` file puts
    the source tree on ``sys.path``.

    Returns:
        str | None: The source root the index points at, or None if the
        wheel is not of that kind (then nothing is added: the folder would
        hide the package from an import hook).
    """
    with zipfile.ZipFile(wheel_path) as wheel:
        roots = [root for name in wheel.namelist() if name.endswith('.pth')
                 for root in source_roots(wheel.read(name).decode())]
    if not roots:
        return None
    add_files_to_wheel(wheel_path,
                       {MIM_INDEX: mim_index_text(roots[0]).encode()})
    return roots[0]


def build_editable(wheel_directory: str,
                   config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    """setuptools' editable wheel, plus :data:`MIM_INDEX` (see above)."""
    name = _setuptools.build_editable(wheel_directory, config_settings,
                                      metadata_directory)
    if add_mim_index(osp.join(wheel_directory, name)) is None:
        warnings.warn('this editable install does not put the source tree '
                      'on sys.path with a .pth file, so `mim search '
                      'mmconformer` will not find the model index (use a '
                      'regular install for mim)')
    return name
