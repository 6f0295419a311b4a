"""Every config resolves to the settings recorded in
tests/data/resolved_configs (see its README), key for key."""
import glob
import json
import os.path as osp

import pytest
from _helpers import CONFIG_DIR, REPO_ROOT
from mmengine.config import Config

from mmconformer.utils import dense_task_unavailable

SNAPSHOTS = osp.join(REPO_ROOT, 'tests', 'data', 'resolved_configs')
CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, CONFIG_DIR).split(osp.sep))


def library_of(config: str):
    """The dense-task library a config needs, or None."""
    if config.startswith('mmdet'):
        return 'mmdet'
    if config.startswith('mmseg') or 'upernet' in config:
        return 'mmseg'
    return None


def scopes_removed(obj, found):
    """``obj`` without the ``_scope_`` keys, which are collected in
    ``found``."""
    if isinstance(obj, dict):
        if '_scope_' in obj:
            found.append(obj['_scope_'])
        return {k: scopes_removed(v, found) for k, v in obj.items()
                if k != '_scope_'}
    if isinstance(obj, list):
        return [scopes_removed(v, found) for v in obj]
    return obj


def test_every_config_has_a_snapshot():
    snapshots = sorted(
        osp.relpath(path, SNAPSHOTS)[:-len('.json')] + '.py'
        for path in glob.glob(osp.join(SNAPSHOTS, '**', '*.json'),
                              recursive=True))
    assert len(CONFIGS) == 17
    assert snapshots == CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_resolves_to_the_recorded_settings(config):
    library = library_of(config)
    reason = library and dense_task_unavailable(library)
    if reason:
        pytest.skip(reason)
    resolved = json.loads(json.dumps(
        Config.fromfile(osp.join(CONFIG_DIR, config)).to_dict()))
    with open(osp.join(SNAPSHOTS, config[:-len('.py')] + '.json')) as f:
        recorded = json.load(f)
    # mmengine marks what it reads through `mmpretrain::` with
    # `_scope_='mmpretrain'`. The model and schedule bases now come that
    # way; the marker names the scope these configs have by default anyway.
    scopes = []
    resolved = scopes_removed(resolved, scopes)
    recorded = scopes_removed(recorded, [])
    assert set(scopes) <= {resolved.get('default_scope')}
    for key in sorted(set(resolved) | set(recorded)):
        assert resolved.get(key) == recorded.get(key), key
