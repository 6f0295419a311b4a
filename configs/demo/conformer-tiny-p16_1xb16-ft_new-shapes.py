# `make demo-finetune`: the fine-tuning recipe
# (configs/finetune/conformer-tiny-p16_in1k-pre_1xb32-30e_custom.py) applied to
# 4 shape kinds the demo never saw (star, pentagon, arrow, crescent), 20
# training images each, starting from the demo's checkpoint. Only the data,
# the input size (48x48, as the demo), the batch size and the checkpoint
# change; tools/run_finetune_demo.py also trains it from scratch
# (model.backbone.init_cfg=None) for the same iterations.
_base_ = ['../finetune/conformer-tiny-p16_in1k-pre_1xb32-30e_custom.py']

data_root = 'data/shapes-new'
num_classes = 4
img_size = 48
checkpoint = 'work_dirs/demo/epoch_7.pth'

model = dict(
    backbone=dict(init_cfg=dict(checkpoint=checkpoint)),
    head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)

# the demo's pipelines (configs/demo/conformer-tiny-p16_1xb32_shapes.py)
train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.85, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(type='Resize', scale=img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(val_interval=10)
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
