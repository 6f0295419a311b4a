# Faster R-CNN with FPN (mmdet's model base) on the Conformer-S/32 backbone of
# the official repository's COCO recipe (its mmdetection 2.x fork). The Mask
# R-CNN and UPerNet model bases beside this file hold the same backbone
# (tests/test_configs/test_resolved_configs.py checks every config's).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

# mmpretrain's ImageNet checkpoint of Conformer-S/32: only its `backbone.`
# weights are loaded.
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-small-p32_8xb128_in1k_20211206-947a0816.pth'  # noqa: E501

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ConformerBackbone',
        arch='small',
        patch_size=32,
        # the rate Conformer-S/32 was trained with on ImageNet, and the
        # official detection recipe's
        drop_path_rate=0.1,
        out_type='featmap',
        featmap_branches='conv',
        # CNN maps after blocks 4, 8, 11 and 12: strides 4/8/16/32 with
        # 256/512/1024/1024 channels, the four levels an FPN or UPerHead
        # takes.
        out_indices=[4, 8, 11, 12],
        # 2 images per GPU are too few for batch statistics, and the backbone
        # has plain BatchNorm: keep the ImageNet statistics (norm_eval) and
        # freeze the stem, as the official recipe does. Its config says
        # frozen_stages=1, but its backbone froze the stem only, for any
        # frozen_stages >= 0; 0 does that here. With SyncBN instead, set
        # norm_eval=False (and, in mmseg, `sync_bn = 'torch'`).
        norm_eval=True,
        frozen_stages=0,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[256, 512, 1024, 1024]))
