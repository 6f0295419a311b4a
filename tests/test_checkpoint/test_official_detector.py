"""The official repository's COCO detectors (its mmdetection 2.x fork):
told apart from the other kinds of checkpoint, and converted to our mmdet
3.x configs. The checkpoints are built here in the official layout (the
classifier's key names under ``backbone.``, no ``trans_norm`` unless the
fork's ``return_cls_token``): none can be downloaded."""
import os.path as osp

import pytest
import torch
from _helpers import (CONFIG_DIR, SMALL_ARCH, call_main, load_tool,
                      randomize_batchnorm)
from _official_layout import to_official
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmconformer.checkpoint import (ConversionError, checkpoint_kind,
                                    convert_official_detector)
from mmconformer.utils import dense_task_unavailable
from mmconformer.checkpoint import load_checkpoint_file

# plain_clone: the detector conversion needs mmdet; with mmcv-lite it
# skips with its reason
pytestmark = pytest.mark.plain_clone

#: mmdet 2.x neck and head keys of an FPN detector (the same in mmdet 3.x).
FAKE_MMDET_KEYS = ('neck.lateral_convs.0.conv.weight',
                   'rpn_head.rpn_conv.weight',
                   'roi_head.bbox_head.fc_cls.weight')


def official_detector(backbone_state, extra=None, return_cls_token=False):
    """An mmdet 2.x checkpoint of the fork: ``{'state_dict', 'meta'}``."""
    official = to_official({f'backbone.{k}': v
                            for k, v in backbone_state.items()})
    state = {f'backbone.{k}': v for k, v in official.items()
             if return_cls_token or not k.startswith('trans_norm.')}
    if return_cls_token:
        state['backbone.trans_cls_head.weight'] = torch.zeros(1000, 32)
    state.update(extra or {k: torch.ones(3) for k in FAKE_MMDET_KEYS})
    return dict(state_dict=state,
                meta=dict(CLASSES=('person', 'car'), mmdet_version='2.11.0'))


@pytest.fixture(scope='module')
def reference():
    """mmpretrain's own Conformer (the official code's port) of a 6-block
    arch, float64, with non-trivial BatchNorm statistics."""
    model = MODELS.build(dict(type='Conformer', arch=SMALL_ARCH,
                              base_channels=16, patch_size=16))
    model.double()
    model.eval()  # mmpretrain's Conformer.train returns None
    randomize_batchnorm(model)
    return model


def test_checkpoint_kinds(reference):
    state = reference.state_dict()
    detector = official_detector(state)
    assert checkpoint_kind(detector) == 'official_detector'
    classifier = to_official({f'backbone.{k}': v for k, v in state.items()})
    assert checkpoint_kind({'model': classifier}) == 'official_classifier'
    assert checkpoint_kind(classifier) == 'official_classifier'
    ours = {f'backbone.{k}': v for k, v in state.items()}
    assert checkpoint_kind({'state_dict': ours}) == 'mmpretrain'
    with pytest.raises(ConversionError, match="first key 'fc.weight'"):
        checkpoint_kind({'fc.weight': torch.zeros(1)})
    with pytest.raises(ConversionError, match='got an official Conformer '
                       'classifier'):
        convert_official_detector({'model': classifier})
    bad = official_detector(state)
    bad['state_dict']['backbone.extra.weight'] = torch.zeros(1)
    with pytest.raises(ConversionError, match="'backbone.extra.weight'"):
        convert_official_detector(bad)


@pytest.mark.parametrize('return_cls_token', [False, True])
def test_converted_backbone_gives_the_official_feature_maps(
        reference, return_cls_token):
    """Our dense backbone, loaded strictly with the converted weights,
    returns the CNN maps that the official code computes after the chosen
    blocks (the official fork returns those of blocks 4, 8, 11 and 12 of
    12; here 2, 4, 5 and 6 of 6), in float64."""
    checkpoint = official_detector(reference.state_dict(),
                                   return_cls_token=return_cls_token)
    state, meta = convert_official_detector(checkpoint)
    assert meta['dropped'] == (
        ['backbone.trans_cls_head.weight', 'backbone.trans_norm.bias',
         'backbone.trans_norm.weight'] if return_cls_token else [])
    assert meta['dataset_meta'] == dict(classes=('person', 'car'))
    assert meta['arch_info']['depth'] == 6 and meta['config'] is None
    for key in FAKE_MMDET_KEYS:
        assert torch.equal(state[key], torch.ones(3))
    ours = MODELS.build(dict(
        type='ConformerBackbone', arch=SMALL_ARCH, base_channels=16,
        patch_size=16, out_type='featmap', featmap_branches='conv',
        out_indices=[2, 4, 5, 6])).double().eval()
    ours.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()
                          if k.startswith('backbone.')}, strict=True)
    maps = {}
    for block in (2, 4, 5, 6):
        getattr(reference, f'conv_trans_{block}').register_forward_hook(
            lambda module, args, out, block=block: maps.__setitem__(
                block, out[0]))
    x = torch.randn(2, 3, 64, 96, dtype=torch.float64)
    with torch.no_grad():
        reference(x)
        got = ours(x)
    assert len(got) == 4
    for block, feature in zip((2, 4, 5, 6), got):
        torch.testing.assert_close(feature, maps[block], rtol=1e-10,
                                   atol=1e-10)


@pytest.mark.skipif(dense_task_unavailable('mmdet') is not None,
                    reason=str(dense_task_unavailable('mmdet')))
@pytest.mark.parametrize('config,name', [
    ('faster-rcnn_conformer-small-p32_fpn_1x_coco.py', 'faster'),
    ('mask-rcnn_conformer-small-p32_fpn_1x_coco.py', 'mask'),
])
def test_every_key_of_our_detector_is_covered(tmp_path, capsys, config,
                                              name):
    """An official S/32 detector, converted by the CLI, loads strictly into
    the mmdet 3.x detector of our config; the CLI names the kind and the
    config."""
    from mmdet.registry import MODELS as DET_MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'mmdet', config))
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector = DET_MODELS.build(cfg.model)
    expected = detector.state_dict()
    backbone = {k[len('backbone.'):]: v for k, v in expected.items()
                if k.startswith('backbone.')}
    heads = {k: v.clone() for k, v in expected.items()
             if not k.startswith('backbone.')}
    src = tmp_path / 'official.pth'
    torch.save(official_detector(backbone, extra=heads), src)
    dst = tmp_path / 'converted.pth'
    code, out, err = call_main(
        load_tool('model_converters/conformer_to_mmpretrain.py'), capsys,
        src, dst)
    assert code == 0, err
    assert 'an official Conformer detector' in out
    assert f'Matching config: configs/mmdet/{config}' in out
    converted = load_checkpoint_file(dst)['state_dict']
    assert converted.keys() == expected.keys()
    for key, value in expected.items():
        assert converted[key].shape == value.shape, key
    detector.load_state_dict(converted, strict=True)
