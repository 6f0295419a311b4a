# UPerNet (mmseg's model base of its Swin UPerNets) on the Conformer-S/32
# backbone of the detection configs, configured and explained in
# faster-rcnn_conformer-small-p32_fpn.py.
_base_ = 'mmseg::_base_/models/upernet_swin.py'

checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-small-p32_8xb128_in1k_20211206-947a0816.pth'  # noqa: E501

model = dict(
    # upernet_swin.py leaves `pretrained=None`; EncoderDecoder would pass any
    # other value to the backbone, which takes its weights from init_cfg.
    pretrained=None,
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
    decode_head=dict(in_channels=[256, 512, 1024, 1024]),
    # the auxiliary FCN head reads the stride-16 map (block 11), as mmseg's
    # ResNet/Swin/ConvNeXt UPerNets read their third level
    auxiliary_head=dict(in_channels=1024, in_index=2))
