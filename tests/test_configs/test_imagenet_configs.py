import os.path as osp

import pytest
import torch
import yaml
from _helpers import CONFIG_DIR, REPO_ROOT
from mmengine.config import Config
from mmpretrain.registry import MODELS

NAMES = ['tiny-p16', 'small-p16', 'small-p32', 'base-p16']
PARAMS = {
    'tiny-p16': 23_524_704,
    'small-p16': 37_673_424,
    'small-p32': 38_853_072,
    'base-p16': 83_289_136,
}


def strip_scope(obj):
    """Drop the `_scope_='mmpretrain'` keys that mmengine adds to dicts it
    reads through `mmpretrain::`. They record the loading route; the default
    scope of both configs is mmpretrain anyway (asserted below)."""
    if isinstance(obj, dict):
        return {k: strip_scope(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(strip_scope(v) for v in obj)
    return obj


def load_pair(name, tmp_path):
    ours = Config.fromfile(
        osp.join(CONFIG_DIR, f'conformer-{name}_8xb128_in1k.py')).to_dict()
    # mmpretrain's own file, reached through mmengine's package scope.
    wrapper = tmp_path / f'mmpretrain_{name}.py'
    wrapper.write_text(f"_base_ = 'mmpretrain::conformer/"
                       f"conformer-{name}_8xb128_in1k.py'\n")
    theirs = Config.fromfile(str(wrapper)).to_dict()
    assert ours['default_scope'] == theirs['default_scope'] == 'mmpretrain'
    return strip_scope(ours), strip_scope(theirs)


@pytest.mark.parametrize('name', NAMES)
def test_resolved_config_equals_mmpretrain(name, tmp_path):
    ours, theirs = load_pair(name, tmp_path)
    assert ours.pop('custom_imports') == dict(
        imports=['mmconformer'], allow_failed_imports=False)
    # The deliberate differences (docs/en/train_test.md, "How our configs
    # differ from mmpretrain's"): deterministic resume, a stop at the first
    # NaN loss, a distributed start-up that works without a GPU and loads
    # checkpoints strictly, `--amp` that falls back to bf16 autocast without
    # a GPU, atomic checkpoints, an image check inside the loader's read,
    # and the accuracy of each branch beside the headline.
    assert ours.pop('custom_hooks') == [dict(type='EpochRNGHook'),
                                        dict(type='FiniteLossHook')]
    assert 'custom_hooks' not in theirs
    assert ours.pop('runner_type') == 'PortableRunner'
    assert 'runner_type' not in theirs
    assert ours['optim_wrapper'].pop('constructor') == \
        'PortableOptimWrapperConstructor'
    assert 'constructor' not in theirs['optim_wrapper']
    assert ours['default_hooks']['checkpoint'].pop('type') == \
        'AtomicCheckpointHook'
    assert theirs['default_hooks']['checkpoint'].pop('type') == \
        'CheckpointHook'
    pipelines = [ours[pipeline] for pipeline in ('train_pipeline',
                                                 'test_pipeline')]
    pipelines += [ours[loader]['dataset']['pipeline'] for loader in
                  ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    for pipeline in pipelines:
        assert pipeline[0]['type'] == 'LoadImageFromFile'
        assert pipeline[0].pop('backend_args') == dict(
            backend='checked_image')
    assert ours.pop('tta_model') == dict(type='BranchAverageClsScoreTTA')
    assert 'tta_model' not in theirs
    for evaluator in ('val_evaluator', 'test_evaluator'):
        assert ours[evaluator].pop('type') == 'BranchAccuracy'
        assert theirs[evaluator].pop('type') == 'Accuracy'
    assert ours['model']['backbone'].pop('type') == 'ConformerBackbone'
    assert theirs['model']['backbone'].pop('type') == 'Conformer'
    assert ours['model']['head'].pop('type') == 'DualBranchClsHead'
    assert theirs['model']['head'].pop('type') == 'ConformerHead'
    for key in sorted(set(ours) | set(theirs)):
        assert ours.get(key) == theirs.get(key), key
    assert ours == theirs
    # The values the brief names, explicitly.
    assert ours['train_dataloader']['batch_size'] == 128
    assert ours['auto_scale_lr'] == dict(base_batch_size=1024)
    assert ours['optim_wrapper']['optimizer']['lr'] == pytest.approx(1e-3)


@pytest.mark.parametrize('name', NAMES)
def test_ema_variant_is_its_base_plus_the_official_ema(name):
    """The -ema variant adds mmengine's EMAHook (decay 0.99996 per
    iteration, buffers too) after the runtime's hooks and changes nothing
    else."""
    base = Config.fromfile(
        osp.join(CONFIG_DIR, f'conformer-{name}_8xb128_in1k.py')).to_dict()
    ema = Config.fromfile(
        osp.join(CONFIG_DIR, f'conformer-{name}_8xb128-ema_in1k.py')).to_dict()
    hooks = ema.pop('custom_hooks')
    assert hooks[:-1] == base.pop('custom_hooks')
    assert hooks[0] == dict(type='EpochRNGHook')
    assert hooks[-1] == dict(type='EMAHook', momentum=4e-5, interval=1,
                             update_buffers=True, priority='ABOVE_NORMAL')
    assert 1 - hooks[-1]['momentum'] == pytest.approx(0.99996)
    assert ema == base


@pytest.mark.parametrize('name', NAMES)
def test_params_per_config(name):
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, f'conformer-{name}_8xb128_in1k.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]


def test_metafile_matches_configs_and_published_figures():
    with open(osp.join(REPO_ROOT, 'configs', 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        assert yaml.safe_load(f) == {'Import': ['configs/metafile.yml']}
    models = meta['Models']
    assert len(models) == 4
    for model in models:
        config = osp.join(REPO_ROOT, model['Config'])
        assert osp.isfile(config), config
        name = osp.basename(config)[len('conformer-'):].split('_')[0]
        assert model['Metadata']['Parameters'] == PARAMS[name]
        assert model['Weights'].startswith(
            'https://download.openmmlab.com/mmclassification/v0/conformer/'
            f'conformer-{name}')
