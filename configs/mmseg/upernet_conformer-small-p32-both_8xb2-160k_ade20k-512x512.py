# The same UPerNet + Conformer-S/32 on ADE20K, fed by both branches: at each
# of blocks 4, 8, 11 and 12, the CNN map and the transformer's patch tokens
# folded to their 16x16 grid (stride 32) are joined by DualBranchConcatNeck,
# which resizes the token map to the CNN map (bilinear) and appends its 384
# channels. Compare it with the CNN-only config this one inherits. Not
# benchmarked on ADE20K.
_base_ = ['./upernet_conformer-small-p32_8xb2-160k_ade20k-512x512.py']

model = dict(
    backbone=dict(featmap_branches='both'),
    neck=dict(type='mmpretrain.DualBranchConcatNeck', mode='bilinear'),
    # 256/512/1024/1024 CNN channels + 384 token channels per level
    decode_head=dict(in_channels=[640, 896, 1408, 1408]),
    auxiliary_head=dict(in_channels=1408))
