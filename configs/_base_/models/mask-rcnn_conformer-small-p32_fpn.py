# Mask R-CNN with FPN (mmdet's model base) on the Conformer-S/32 backbone of
# the official repository's COCO recipe, configured and explained in
# faster-rcnn_conformer-small-p32_fpn.py.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-small-p32_8xb128_in1k_20211206-947a0816.pth'  # noqa: E501

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ConformerBackbone',
        arch='small',
        patch_size=32,
        drop_path_rate=0.1,
        out_type='featmap',
        featmap_branches='conv',
        out_indices=[4, 8, 11, 12],
        norm_eval=True,
        frozen_stages=0,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[256, 512, 1024, 1024]))
