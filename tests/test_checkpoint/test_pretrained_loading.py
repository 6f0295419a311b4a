"""init_cfg=dict(type='Pretrained') never loads nothing silently."""
import pytest
import torch
from _helpers import TINY_ARCH, randomize_batchnorm
from _official_layout import to_official
from mmpretrain.registry import MODELS

from mmconformer import ConformerBackbone
from mmconformer.checkpoint import CheckpointError


def classifier(patch_size=32):
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ConformerBackbone', arch=TINY_ARCH,
                          base_channels=16, patch_size=patch_size),
            head=dict(type='DualBranchClsHead', num_classes=5,
                      in_channels=[64, 32])))
    model.init_weights()
    randomize_batchnorm(model)
    return model


def backbone(path, patch_size=32, prefix='backbone.', **kwargs):
    model = ConformerBackbone(
        arch=TINY_ARCH, base_channels=16, patch_size=patch_size,
        init_cfg=dict(type='Pretrained', checkpoint=str(path),
                      prefix=prefix), **kwargs)
    model.init_weights()
    return model


def assert_loaded(model, source):
    for key, value in model.state_dict().items():
        assert torch.equal(value, source[f'backbone.{key}']), key


@pytest.mark.parametrize('layout', ['mmpretrain', 'official', 'bare'])
def test_both_layouts_load(tmp_path, layout):
    source = classifier().state_dict()
    path = tmp_path / 'ckpt.pth'
    payload = {
        'mmpretrain': {'state_dict': source, 'meta': {}},
        'official': {'model': to_official(source)},
        'bare': to_official(source),
    }[layout]
    torch.save(payload, path)
    assert_loaded(backbone(path), source)


def test_dense_backbone_loads_classification_checkpoint(tmp_path):
    source = classifier().state_dict()
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': source}, path)
    model = backbone(path, out_type='featmap', out_indices=[2, 3])
    assert_loaded(model, source)


def test_wrong_arch_names_the_first_mismatched_key(tmp_path):
    path = tmp_path / 'p32.pth'
    torch.save({'state_dict': classifier(patch_size=32).state_dict()}, path)
    with pytest.raises(CheckpointError,
                       match=r'trans_patch_conv.weight has shape '
                       r'\(32, 64, 8, 8\).*\(32, 64, 4, 4\)'):
        backbone(path, patch_size=16)


def test_wrong_prefix_and_missing_keys(tmp_path):
    source = classifier().state_dict()
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': source}, path)
    with pytest.raises(CheckpointError, match='no key starts with prefix'):
        backbone(path, prefix='encoder.')
    partial = {k: v for k, v in source.items() if 'conv_trans_3' not in k}
    torch.save({'state_dict': partial}, path)
    with pytest.raises(CheckpointError, match='missing, first .conv_trans_3'):
        backbone(path)


def test_missing_file_and_malicious_pickle(tmp_path):
    with pytest.raises(CheckpointError, match='not found'):
        backbone(tmp_path / 'none.pth')

    class Exploit:

        def __reduce__(self):
            return (open, (str(tmp_path / 'marker'), 'w'))

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': classifier().state_dict(), 'x': Exploit()},
               path)
    with pytest.raises(CheckpointError, match='refusing'):
        backbone(path)
    assert not (tmp_path / 'marker').exists()


@pytest.mark.parametrize('form', ['dict', 'list'])
def test_init_cfg_dict_and_list_forms_load(tmp_path, form):
    """mmengine accepts init_cfg as a dict or a list of dicts; both load the
    checkpoint, and the default init does not overwrite it afterwards."""
    source = classifier().state_dict()
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': source}, path)
    cfg = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    model = ConformerBackbone(arch=TINY_ARCH, base_channels=16,
                              patch_size=32,
                              init_cfg=cfg if form == 'dict' else [cfg])
    model.init_weights()
    assert_loaded(model, source)


@pytest.mark.parametrize('init_cfg,match', [
    ([dict(type='Pretrained', checkpoint='x.pth'),
      dict(type='Constant', layer='LayerNorm', val=1.)],
     "'Pretrained' entry loads every backbone weight, so it must be the "
     'only entry'),
    (dict(type='Pretrained'), "'Pretrained' needs a checkpoint"),
    ('Pretrained', 'must be a dict or a list of dicts'),
])
def test_bad_init_cfg_is_refused_at_construction(init_cfg, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ConformerBackbone(arch=TINY_ARCH, base_channels=16,
                          init_cfg=init_cfg)


def test_init_cfg_set_after_construction_is_honoured(tmp_path):
    source = classifier().state_dict()
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': source}, path)
    model = ConformerBackbone(arch=TINY_ARCH, base_channels=16, patch_size=32)
    model.init_cfg = [dict(type='Pretrained', checkpoint=str(path),
                           prefix='backbone.')]
    model.init_weights()
    assert_loaded(model, source)
