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
_base_ = [
    'mmdet::common/ms-poly_3x_coco-instance.py',
    '../_base_/models/mask-rcnn_conformer-small-p32_fpn.py',
    '../_base_/mmconformer_dense_runtime.py',
]

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))

# Atomic checkpoints (configs/_base_/mmconformer_runtime.py says why).
default_hooks = dict(checkpoint=dict(type='mmpretrain.AtomicCheckpointHook'))
