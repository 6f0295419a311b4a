"""Every config resolves to the settings recorded in
tests/data/resolved_configs (see its README), key for key, apart from the
deliberate changes made since, which CHANGES lists and applies."""
import glob
import json
import os.path as osp

import pytest
from _helpers import CONFIG_DIR, REPO_ROOT
from mmengine.config import Config

from mmconformer.utils import dense_task_unavailable

# plain_clone: every config resolves, or skips with its reason, with
# mmcv-lite too
pytestmark = pytest.mark.plain_clone

SNAPSHOTS = osp.join(REPO_ROOT, 'tests', 'data', 'resolved_configs')
CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    # deployment configs (mmdeploy's) are no model configs; the -ema and
    # -lrd variants are their base plus one switch, and their own tests
    # check them against that base
    if not {'_base_', 'mmdeploy'} & set(
        osp.relpath(path, CONFIG_DIR).split(osp.sep))
    and not any(marker in osp.basename(path) for marker in ('-ema_', '-lrd_')))


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


def insert_image_check(pipeline):
    """Every LoadImageFromFile reads through the checked_image backend."""
    out = []
    for transform in pipeline:
        if transform.get('type') == 'LoadImageFromFile':
            assert 'backend_args' not in transform
            transform = dict(transform,
                             backend_args=dict(backend='checked_image'))
        out.append(transform)
    return out


def classification_changes(cfg):
    """Our runtime's: a stop at the first NaN loss, atomic checkpoints, the
    image check inside the loader's read (docs/en/errors_and_limits.md), and
    each branch's accuracy beside the headline, with --tta too
    (docs/en/train_test.md)."""
    for key in ('val_evaluator', 'test_evaluator'):
        assert cfg[key]['type'] == 'Accuracy'
        cfg[key]['type'] = 'BranchAccuracy'
    assert 'tta_model' not in cfg
    cfg['tta_model'] = dict(type='BranchAverageClsScoreTTA')
    cfg['custom_hooks'].append(dict(type='FiniteLossHook'))
    cfg['default_hooks']['checkpoint']['type'] = 'AtomicCheckpointHook'
    for key in ('train_pipeline', 'test_pipeline'):
        if key in cfg:
            cfg[key] = insert_image_check(cfg[key])
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key]['dataset']
        dataset['pipeline'] = insert_image_check(dataset['pipeline'])


def dense_changes(cfg):
    """The detection and segmentation configs': the same hooks, by their
    scoped names, and our runner (weights-only loading of training
    checkpoints on torch >= 2.6 without a process-wide allowlist)."""
    cfg['custom_hooks'] = [dict(type='mmpretrain.FiniteLossHook')]
    assert 'runner_type' not in cfg
    cfg['runner_type'] = 'PortableRunner'
    cfg['default_hooks']['checkpoint']['type'] = \
        'mmpretrain.AtomicCheckpointHook'


def CHANGES(config, cfg):
    """Apply the deliberate changes to a recorded config, in place."""
    (dense_changes if library_of(config) else classification_changes)(cfg)


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
    CHANGES(config, recorded)
    assert set(scopes) <= {resolved.get('default_scope')}
    for key in sorted(set(resolved) | set(recorded)):
        assert resolved.get(key) == recorded.get(key), key
