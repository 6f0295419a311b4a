# Faster R-CNN with a Conformer-B/16 backbone and FPN, 3x multi-scale
# schedule on COCO: the S/32 3x recipe with the larger backbone users ask
# for (official repo issue #27). No official number; not trained here.
_base_ = ['./faster-rcnn_conformer-small-p32_fpn_ms-3x_coco.py']

checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-base-p16_3rdparty_8xb128_in1k_20211206-bfdf8637.pth'  # noqa: E501

model = dict(
    backbone=dict(
        arch='base',
        patch_size=16,
        # mmpretrain's ImageNet config of Conformer-B/16 uses 0.1 as well
        drop_path_rate=0.1,
        # CNN maps after blocks 4, 8, 11, 12: strides 4/8/16/32,
        # channels 384/768/1536/1536 (channel ratio 6).
        init_cfg=dict(checkpoint=checkpoint)),
    neck=dict(in_channels=[384, 768, 1536, 1536]))
