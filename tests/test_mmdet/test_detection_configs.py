"""Detectors built by the real mmdet 3.x from our config files."""
import os.path as osp

import pytest
import torch
from _helpers import CONFIG_DIR

from mmengine.config import Config

from mmconformer.utils import dense_task_unavailable

if dense_task_unavailable('mmdet'):
    pytest.skip(dense_task_unavailable('mmdet'), allow_module_level=True)

DET_CONFIGS = {
    'mask': osp.join(CONFIG_DIR, 'mmdet',
                     'mask-rcnn_conformer-small-p32_fpn_1x_coco.py'),
    'faster': osp.join(CONFIG_DIR, 'mmdet',
                       'faster-rcnn_conformer-small-p32_fpn_1x_coco.py'),
    'downstream': osp.join(CONFIG_DIR, 'mmdet', 'examples',
                           'mask-rcnn_conformer-small-p32_fpn_1x_'
                           'my-dataset.py'),
}


def build_detector(name, checkpoint):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope

    # Register mmdet's modules without making mmdet the process-wide
    # default scope, which would leak into the other tests.
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(DET_CONFIGS[name])
    backbone = cfg.model.backbone
    assert backbone.type == 'mmpretrain.ConformerBackbone'
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    assert backbone.init_cfg.checkpoint.startswith(
        'https://download.openmmlab.com/mmclassification/v0/conformer/'
        'conformer-small-p32')
    backbone.init_cfg.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return cfg, model


@pytest.mark.slow
@pytest.mark.parametrize('name', list(DET_CONFIGS))
def test_detector_from_config(name, small_p32_classifier_checkpoint):
    from mmdet.testing import demo_mm_inputs
    path, source = small_p32_classifier_checkpoint
    cfg, model = build_detector(name, path)
    with_mask = name != 'faster'

    # Recipe of the official repo.
    assert cfg.model.neck.in_channels == [256, 512, 1024, 1024]
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=1e-4, weight_decay=1e-4)
    assert cfg.train_dataloader.batch_size == 2
    assert dict(type='Resize', scale=(1344, 800), keep_ratio=True) in \
        cfg.train_dataloader.dataset.pipeline
    assert cfg.custom_imports.imports == ['mmconformer']
    if name == 'downstream':
        assert model.roi_head.bbox_head.num_classes == 3
        assert cfg.train_dataloader.dataset.metainfo.classes == (
            'person', 'car', 'bicycle')

    # The pretrained backbone keys load completely.
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, source[f'backbone.{key}']), key

    # One training step: every trainable backbone parameter gets a gradient.
    model.train()
    assert model.backbone.norm_eval and model.backbone.frozen_stages == 0
    assert not model.backbone.bn1.training
    assert not model.backbone.conv_trans_5.cnn_block.bn1.training
    packed = demo_mm_inputs(
        batch_size=2, image_shapes=[(3, 160, 224), (3, 192, 160)],
        num_items=[2, 1], num_classes=3, with_mask=with_mask)
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    for pname, param in model.backbone.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, pname
        else:
            assert pname.startswith(('conv1.', 'bn1.')), pname
    assert not model.backbone.conv1.weight.requires_grad

    # predict on a 2-image batch.
    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(packed, False),
                        mode='predict')
    assert len(results) == 2
    for result in results:
        assert result.pred_instances.bboxes.shape[-1] == 4
        if with_mask:
            assert 'masks' in result.pred_instances
