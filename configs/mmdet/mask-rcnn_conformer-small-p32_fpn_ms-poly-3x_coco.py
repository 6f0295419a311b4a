# Mask R-CNN with a Conformer-S/32 backbone and FPN, 3x multi-scale
# schedule with polygon masks on COCO. The official repository published no
# 3x Mask R-CNN number (its 1x reached 43.6 box mAP); this config has not
# been trained here.
#
# Schedule and data: mmdet's own ms-poly-3x config
# (common/ms-poly_3x_coco-instance.py): polygon masks, the train set
# repeated 3 times for 12 epochs, LR steps at epochs 9 and 11, a
# 500-iteration warm-up, the shorter side drawn from 640..800. Backbone and
# optimiser: the official recipe, as in the Faster R-CNN 3x config.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_ms-poly-3x_coco.py']

custom_imports = dict(imports=['mmconformer'], allow_failed_imports=False)

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
        # CNN maps after blocks 4, 8, 11, 12: strides 4/8/16/32,
        # channels 256/512/1024/1024.
        out_indices=[4, 8, 11, 12],
        norm_eval=True,
        # The official config says frozen_stages=1, but its backbone froze
        # the stem only for any frozen_stages >= 0; 0 does that here.
        frozen_stages=0,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[256, 512, 1024, 1024]))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))
