# The Conformer-S/32 backbone that the detection (configs/mmdet) and
# segmentation (configs/mmseg) configs put in place of their base's, as the
# official repository's COCO recipe (its mmdetection 2.x fork) configures it.
# A config inherits this file beside its mmdet/mmseg base (mmengine refuses
# two bases that both define `model`) and takes the definition out of the
# merged bases, which mmengine exposes as `_base_` while it reads a config:
#     model = dict(
#         backbone=dict(_delete_=True, **_base_.pop('conformer_backbone')))
# `pop`, not a plain reference: the definition is used there and stays out
# of the resolved config, where it would be a second, unused copy.

# mmpretrain's ImageNet checkpoint of Conformer-S/32: only its `backbone.`
# weights are loaded.
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-small-p32_8xb128_in1k_20211206-947a0816.pth'  # noqa: E501

conformer_backbone = dict(
    type='mmpretrain.ConformerBackbone',
    arch='small',
    patch_size=32,
    # the rate Conformer-S/32 was trained with on ImageNet, and the official
    # detection recipe's
    drop_path_rate=0.1,
    out_type='featmap',
    featmap_branches='conv',
    # CNN maps after blocks 4, 8, 11 and 12: strides 4/8/16/32 with
    # 256/512/1024/1024 channels, the four levels an FPN or UPerHead takes.
    out_indices=[4, 8, 11, 12],
    # 2 images per GPU are too few for batch statistics, and the backbone has
    # plain BatchNorm: keep the ImageNet statistics (norm_eval) and freeze the
    # stem, as the official recipe does. Its config says frozen_stages=1, but
    # its backbone froze the stem only, for any frozen_stages >= 0; 0 does
    # that here. With SyncBN instead, set norm_eval=False (and, in mmseg,
    # `sync_bn = 'torch'`).
    norm_eval=True,
    frozen_stages=0,
    init_cfg=dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
