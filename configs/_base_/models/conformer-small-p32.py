# Conformer-small-p32 classifier: mmpretrain's own base with our backbone and head
# (the same weights and logits; mmpretrain's Conformer and ConformerHead are
# left untouched).
_base_ = 'mmpretrain::_base_/models/conformer/small-p32.py'

model = dict(
    backbone=dict(type='ConformerBackbone'),
    head=dict(type='DualBranchClsHead'))
