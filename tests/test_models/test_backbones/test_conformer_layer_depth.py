"""ConformerBackbone.get_layer_depth, and mmpretrain's layer-wise LR decay
constructor driven by it through the fine-tuning config's -lrd variant."""
import os.path as osp

import pytest
import torch.nn as nn
from _helpers import CONFIG_DIR, SMALL_ARCH
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from mmconformer.models import ConformerBackbone

LRD = osp.join(CONFIG_DIR, 'finetune',
               'conformer-tiny-p16_in1k-pre_1xb32-30e-lrd_custom.py')


@pytest.mark.parametrize('name,depth', [
    ('conv1.weight', 0), ('bn1.bias', 0), ('cls_token', 0),
    ('trans_patch_conv.weight', 0),
    ('conv_1.conv1.weight', 1), ('trans_1.attn.qkv.weight', 1),
    ('conv_trans_2.fusion_block.bn1.weight', 2),
    ('conv_trans_12.trans_block.mlp.fc2.bias', 12),
    ('trans_norm.weight', 13),
])
def test_layer_depth_of_the_tiny_arch(name, depth):
    backbone = ConformerBackbone(arch='tiny')
    assert backbone.get_layer_depth(name) == (depth, 14)
    assert backbone.get_layer_depth('backbone.' + name, 'backbone.') == (
        depth, 14)
    # outside the prefix: the heads, on top
    assert backbone.get_layer_depth('head.conv_cls_head.weight',
                                    'backbone.') == (13, 14)


def test_every_parameter_gets_its_layers_lr_and_decay_rule():
    """On a 6-block arch: each parameter in exactly one group; lr =
    base * rate ** (n - 1 - layer), with n = 8; layers in forward order;
    no weight decay for 1-D parameters (norms, biases) and cls_token."""
    cfg = Config.fromfile(LRD)
    cfg.model.backbone.arch = SMALL_ARCH
    cfg.model.backbone.init_cfg = None
    cfg.model.head.in_channels = [256, 32]
    model = MODELS.build(cfg.model)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = optim_wrapper.optimizer.param_groups
    base_lr, rate = 1e-4, 0.65
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == rate
    params = dict(model.named_parameters())
    grouped = [id(p) for g in groups for p in g['params']]
    assert sorted(grouped) == sorted(id(p) for p in params.values())
    expected_layer = {'backbone.conv1.weight': 0, 'backbone.cls_token': 0,
                      'backbone.trans_1.ln1.weight': 1,
                      'backbone.conv_trans_4.trans_block.attn.qkv.weight': 4,
                      'backbone.conv_trans_6.fusion_block.conv1.weight': 6,
                      'backbone.trans_norm.weight': 7,
                      'head.trans_cls_head.weight': 7}
    by_name = {g['param_name']: g for g in groups}
    assert set(by_name) == set(params)
    for name, layer in expected_layer.items():
        assert by_name[name]['lr'] == pytest.approx(
            base_lr * rate**(7 - layer)), name
    for name, group in by_name.items():
        assert group['lr'] == pytest.approx(
            base_lr * rate**(7 - group['layer_id'])), name
        no_decay = params[name].ndim == 1 or name.endswith('cls_token')
        assert group['weight_decay'] == (0.0 if no_decay else 0.05), name
    # deeper blocks never train slower than the ones before them
    order = [by_name[n]['layer_id'] for n, _ in model.named_parameters()
             if n.startswith('backbone.conv_trans_')]
    assert order == sorted(order)
    # a LayerNorm and a BatchNorm weight are among the no-decay ones
    norms = [n for n, m in model.named_modules()
             if isinstance(m, (nn.LayerNorm, nn.BatchNorm2d))]
    assert by_name[norms[0] + '.weight']['weight_decay'] == 0.0
