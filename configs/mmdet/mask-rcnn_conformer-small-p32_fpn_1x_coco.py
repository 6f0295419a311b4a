# Mask R-CNN with a Conformer-S/32 backbone and FPN, 1x schedule on COCO:
# the official repo's recipe (pengzhiliang/Conformer, mmdetection 2.x fork,
# 43.6 box mAP), in mmdet 3.x form.
_base_ = [
    '../_base_/models/mask-rcnn_conformer-small-p32_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/mmconformer_dense_runtime.py',
]

# 1344x800 as in the official recipe; batches are padded to a multiple of 32
# by the detector's data preprocessor (pad_size_divisor=32 in the base).
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1344, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1344, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4))

# Atomic checkpoints (configs/_base_/mmconformer_runtime.py says why).
default_hooks = dict(checkpoint=dict(type='mmpretrain.AtomicCheckpointHook'))
