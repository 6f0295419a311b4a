"""load_classifier: config + checkpoint, loaded strictly."""
import pytest
import torch
from _helpers import CONFIG_DIR, TINY_ARCH
from mmengine.config import Config

from mmconformer.apis import load_classifier
from mmconformer.checkpoint import CheckpointError

DEMO = f'{CONFIG_DIR}/demo/conformer-tiny-p16_1xb32_shapes.py'


def tiny_config() -> Config:
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone.arch = TINY_ARCH
    cfg.model.head.in_channels = [256, TINY_ARCH['embed_dims']]
    return cfg


def test_top_level_data_preprocessor_belongs_to_the_model():
    model = load_classifier(tiny_config())
    # the ImageNet mean/std of the config's data_preprocessor, in RGB order
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx(
        [123.675, 116.28, 103.53])
    assert model.data_preprocessor.to_rgb is True
    assert not model.training


def test_checkpoint_loads_every_weight(tmp_path):
    source = load_classifier(tiny_config())
    with torch.no_grad():
        for p in source.parameters():
            p.normal_()
    path = str(tmp_path / 'c.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    model = load_classifier(tiny_config(), path)
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_cfg_options_are_merged():
    model = load_classifier(tiny_config(), cfg_options={
        'model.head.num_classes': 9})
    assert model.head.conv_cls_head.out_features == 9


def test_a_checkpoint_of_another_config_is_refused(tmp_path):
    source = load_classifier(tiny_config())
    path = str(tmp_path / 'c.pth')
    torch.save({'state_dict': source.state_dict()}, path)
    with pytest.raises(CheckpointError,
                       match=r'head.conv_cls_head.weight has shape \(6, 256\)'
                       r' in the checkpoint but \(9, 256\)'):
        load_classifier(tiny_config(), path,
                        cfg_options={'model.head.num_classes': 9})
