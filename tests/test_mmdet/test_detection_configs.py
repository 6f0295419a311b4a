"""Detectors built by the real mmdet 3.x from our config files."""
import os.path as osp

import pytest
import torch
from _helpers import CONFIG_DIR

from mmengine.config import Config

from mmconformer.utils import dense_task_unavailable

# Without the compiled mmcv (mmcv-lite) every test here skips, with the
# one-line reason; the module imports mmdet only inside its tests.
# plain_clone: CI's plain clone (mmcv-lite) shows that every test here skips
# with its reason
pytestmark = [
    pytest.mark.skipif(dense_task_unavailable('mmdet') is not None,
                       reason=str(dense_task_unavailable('mmdet'))),
    pytest.mark.plain_clone,
]

#: name -> (config file, ImageNet config of the backbone, schedule)
DET_CONFIGS = {
    'mask': ('mask-rcnn_conformer-small-p32_fpn_1x_coco.py', 'small-p32',
             '1x'),
    'faster': ('faster-rcnn_conformer-small-p32_fpn_1x_coco.py', 'small-p32',
               '1x'),
    'downstream': ('examples/mask-rcnn_conformer-small-p32_fpn_1x_'
                   'my-dataset.py', 'small-p32', '1x'),
    'faster-3x': ('faster-rcnn_conformer-small-p32_fpn_ms-3x_coco.py',
                  'small-p32', '3x'),
    'mask-3x': ('mask-rcnn_conformer-small-p32_fpn_ms-poly-3x_coco.py',
                'small-p32', '3x'),
    'faster-3x-b16': ('faster-rcnn_conformer-base-p16_fpn_ms-3x_coco.py',
                      'base-p16', '3x'),
}
#: FPN inputs: the CNN maps of blocks 4/8/11/12
NECK_CHANNELS = {'small-p32': [256, 512, 1024, 1024],
                 'base-p16': [384, 768, 1536, 1536]}


def build_detector(name, checkpoint, backbone_arch):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope

    # Register mmdet's modules without making mmdet the process-wide
    # default scope, which would leak into the other tests.
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'mmdet', DET_CONFIGS[name][0]))
    backbone = cfg.model.backbone
    assert backbone.type == 'mmpretrain.ConformerBackbone'
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    assert backbone.init_cfg.checkpoint.startswith(
        'https://download.openmmlab.com/mmclassification/v0/conformer/'
        f'conformer-{backbone_arch}')
    backbone.init_cfg.checkpoint = str(checkpoint)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    return cfg, model


def check_recipe(name, cfg):
    """The official recipe's backbone and optimiser; mmdet's own 1x or
    ms-3x schedule and data pipeline."""
    _, backbone_arch, schedule = DET_CONFIGS[name]
    assert cfg.model.neck.in_channels == NECK_CHANNELS[backbone_arch]
    assert cfg.model.backbone.out_indices == [4, 8, 11, 12]
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=1e-4, weight_decay=1e-4)
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.custom_imports.imports == ['mmconformer']
    with_mask = cfg.model.type == 'MaskRCNN'
    if schedule == '1x':
        assert cfg.train_cfg.max_epochs == 12
        assert dict(type='Resize', scale=(1344, 800), keep_ratio=True) in \
            cfg.train_dataloader.dataset.pipeline
    else:
        # mmdet's ms-3x: the data 3 times over 12 epochs, steps at 9 and 11,
        # shorter side 640..800
        dataset = cfg.train_dataloader.dataset
        assert dataset.type == 'RepeatDataset' and dataset.times == 3
        assert cfg.train_cfg.max_epochs == 12
        assert cfg.param_scheduler[-1].milestones == [9, 11]
        assert dict(type='RandomResize', scale=[(1333, 640), (1333, 800)],
                    keep_ratio=True) in dataset.dataset.pipeline
        if with_mask:  # polygon masks, as mmdet's ms-poly-3x
            assert dict(type='LoadAnnotations', with_bbox=True,
                        with_mask=True, poly2mask=False) in \
                dataset.dataset.pipeline


@pytest.mark.slow
@pytest.mark.parametrize('name', list(DET_CONFIGS))
def test_detector_from_config(name, classifier_checkpoint):
    from mmdet.testing import demo_mm_inputs
    _, backbone_arch, _ = DET_CONFIGS[name]
    path, source = classifier_checkpoint(
        f'conformer-{backbone_arch}_8xb128_in1k.py')
    cfg, model = build_detector(name, path, backbone_arch)
    with_mask = cfg.model.type == 'MaskRCNN'
    check_recipe(name, cfg)
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
