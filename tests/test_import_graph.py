"""The package's dependencies point one way:

    tools -> analysis / visualization / apis -> models -> checkpoint -> utils
                                       engine -> checkpoint -> utils
                                   evaluation -> models
    tools -> datasets (the demos' shapes: numpy and Pillow only; the
             checked image loader)

read from the import statements of every module (no import is executed)."""
import ast
import os
import os.path as osp

import pytest
from _helpers import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'mmconformer')
#: Subpackage -> the subpackages it may import (besides itself). `version`
#: is a leaf anyone may import; the package root registers everything.
ALLOWED = {
    'utils': set(),
    'datasets': set(),
    'checkpoint': {'utils'},
    'models': {'checkpoint', 'utils'},
    'engine': {'checkpoint', 'utils'},
    # the benchmark times the apis' fast path and ONNX export; apis never
    # imports analysis, so the graph stays acyclic
    'analysis': {'apis', 'models', 'checkpoint', 'utils'},
    'visualization': {'models', 'checkpoint', 'utils'},
    'apis': {'models', 'checkpoint', 'utils'},
    # the per-branch metric reads the head's branch names
    'evaluation': {'models', 'utils'},
}
#: Bottom layers stay free of the heavy libraries above them (keyed by
#: subpackage, or by module for one module of a subpackage).
FORBIDDEN_THIRD_PARTY = {
    'utils': {'mmpretrain', 'mmcv', 'mmdet', 'mmseg'},
    'checkpoint': {'mmpretrain', 'mmcv', 'mmdet', 'mmseg'},
    # drawing the demos' data needs numpy and Pillow only
    'datasets/shapes.py': {'torch', 'mmengine', 'mmpretrain', 'mmcv',
                           'mmdet', 'mmseg'},
}


def modules():
    for root, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                yield osp.join(root, name)


def subpackage(path):
    rel = osp.relpath(path, PACKAGE).split(os.sep)
    return rel[0] if len(rel) > 1 else None


def imported_names(path):
    """Absolute dotted names of everything ``path`` imports."""
    tree = ast.parse(open(path).read())
    package_parts = ['mmconformer'] + osp.relpath(
        osp.dirname(path), PACKAGE).split(os.sep)
    package_parts = [p for p in package_parts if p != '.']
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[:len(package_parts) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else
                                          []))
                names += [module] + [f'{module}.{a.name}' for a in node.names]
            else:
                names.append(node.module)
    return names


def test_every_subpackage_is_declared():
    found = {subpackage(p) for p in modules()} - {None}
    assert found <= set(ALLOWED), found - set(ALLOWED)


@pytest.mark.parametrize('path', sorted(modules()),
                         ids=lambda p: osp.relpath(p, PACKAGE))
def test_imports_point_down(path):
    own = subpackage(path)
    if own is None:  # the package root and version.py
        return
    for name in imported_names(path):
        parts = name.split('.')
        if parts[0] == 'mmconformer' and len(parts) > 1 and \
                parts[1] in ALLOWED and parts[1] != own:
            assert parts[1] in ALLOWED[own], \
                f'{own} imports {name}: only {sorted(ALLOWED[own])} allowed'
        if parts == ['mmconformer']:
            pytest.fail(f'{own} imports the package root (which imports '
                        f'every subpackage)')
        module = osp.relpath(path, PACKAGE).replace(os.sep, '/')
        for key in (own, module):
            assert parts[0] not in FORBIDDEN_THIRD_PARTY.get(key, ()), \
                f'{key} imports {name}'
        assert parts[0] != 'tools', name


def test_the_checker_sees_relative_imports():
    """The pure converter imports `..version` and `.io`: both resolved."""
    names = imported_names(
        osp.join(PACKAGE, 'checkpoint', 'official_converter.py'))
    assert 'mmconformer.version' in names
    assert 'mmconformer.checkpoint.io' in names
