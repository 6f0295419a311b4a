# Faster R-CNN with a Conformer-S/32 backbone and FPN, 3x multi-scale
# schedule on COCO. The official repository reports 46.1 box mAP for this
# model with its 3x multi-scale recipe (pengzhiliang/Conformer, mmdetection
# 2.x fork); this config has not been trained here.
#
# Schedule and data: mmdet's own ms-3x config (common/ms_3x_coco.py): the
# train set repeated 3 times for 12 epochs, LR steps at epochs 9 and 11,
# a 500-iteration warm-up, and the shorter side drawn from 640..800 (longer
# side at most 1333). Backbone and optimiser: as in our 1x config, the
# official recipe (CNN maps of blocks 4/8/11/12, norm_eval, stem frozen,
# AdamW lr 1e-4 wd 1e-4), since mmdet's SGD lr 0.02 is tuned for ResNets.
_base_ = [
    'mmdet::common/ms_3x_coco.py',
    '../_base_/models/faster-rcnn_conformer-small-p32_fpn.py',
    '../_base_/mmconformer_dense_runtime.py',
]

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))

# Atomic checkpoints (configs/_base_/mmconformer_runtime.py says why).
default_hooks = dict(checkpoint=dict(type='mmpretrain.AtomicCheckpointHook'))
