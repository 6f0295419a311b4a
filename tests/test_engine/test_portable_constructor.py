"""`--amp` (AmpOptimWrapper) becomes bf16 autocast without a GPU, and the
param groups are plain dicts (for compile=True)."""
import pytest
import torch
from _helpers import TINY_ARCH
from mmengine.config import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import mmconformer.engine.optimizers.portable_constructor as module
from mmconformer.engine import BF16AutocastOptimWrapper
from mmconformer.utils import accelerator

PARAMWISE = dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                 custom_keys={'.cls_token': dict(decay_mult=0.0)})


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    """As in a Runner built from our configs (default_scope='mmpretrain')."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


@pytest.fixture
def no_accelerator(monkeypatch):
    """Force the CPU path, whatever this machine has."""
    monkeypatch.setattr(accelerator, 'accelerator_available', lambda: False)


def model():
    return MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ConformerBackbone', arch=TINY_ARCH,
                           base_channels=16),
             head=dict(type='DualBranchClsHead', num_classes=3,
                       in_channels=[64, 32])))


def amp_cfg(**kwargs):
    return dict(type='AmpOptimWrapper', loss_scale='dynamic',
                optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                paramwise_cfg=PARAMWISE,
                constructor='PortableOptimWrapperConstructor', **kwargs)


@pytest.mark.parametrize('dtype', [None, 'bfloat16', torch.bfloat16])
def test_amp_without_gpu_builds_bf16_autocast(dtype, no_accelerator):
    extra = {} if dtype is None else dict(dtype=dtype)
    net = model()
    wrapper = build_optim_wrapper(net, amp_cfg(**extra))
    assert type(wrapper) is BF16AutocastOptimWrapper
    # it is still mmengine's default constructor: paramwise_cfg applies
    decays = {
        id(p): group['weight_decay']
        for group in wrapper.optimizer.param_groups for p in group['params']
    }
    assert decays[id(net.backbone.cls_token)] == 0.0
    assert decays[id(net.backbone.conv1.weight)] == 0.05
    assert decays[id(net.backbone.bn1.weight)] == 0.0


def test_fp16_without_gpu_is_refused_clearly(no_accelerator):
    with pytest.raises(ValueError, match="dtype='float16' needs a GPU"):
        build_optim_wrapper(model(), amp_cfg(dtype='float16'))


def test_with_an_accelerator_the_config_is_left_alone(monkeypatch):
    monkeypatch.setattr(accelerator, 'accelerator_available', lambda: True)
    cfg = amp_cfg(dtype='float16')
    cfg.pop('constructor')
    cfg.pop('paramwise_cfg')
    constructor = module.PortableOptimWrapperConstructor(cfg)
    assert constructor.optim_wrapper_cfg == dict(
        type='AmpOptimWrapper', loss_scale='dynamic', dtype='float16')


def test_other_wrappers_are_left_alone():
    wrapper = build_optim_wrapper(
        model(), dict(type='OptimWrapper',
                      optimizer=dict(type='SGD', lr=0.1),
                      constructor='PortableOptimWrapperConstructor'))
    assert type(wrapper).__name__ == 'OptimWrapper'


def test_param_groups_are_plain_dicts():
    """mmengine's default constructor gives ConfigDict groups, which
    torch.compile of the Runner's train_step cannot step through."""
    cfg = ConfigDict(  # what the Runner passes
        type='OptimWrapper', paramwise_cfg=PARAMWISE,
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
    default = build_optim_wrapper(model(), cfg)
    assert all(type(g) is ConfigDict for g in default.optimizer.param_groups)
    cfg.constructor = 'PortableOptimWrapperConstructor'
    ours = build_optim_wrapper(model(), cfg)
    assert all(type(g) is dict for g in ours.optimizer.param_groups)
    assert len(ours.optimizer.param_groups) == len(
        default.optimizer.param_groups)
