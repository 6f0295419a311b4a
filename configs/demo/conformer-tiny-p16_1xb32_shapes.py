# Conformer-tiny-p16 on the synthetic shapes dataset
# (tools/dataset_converters/make_shapes_dataset.py), for a CPU demo.
# Inherits the ImageNet config's bases (model, optimizer type, runtime) with
# the class-per-folder dataset (top-1 only, batch 32) and changes what a
# 7-epoch run on a 6-class 64x64 toy dataset needs: data root, loader
# workers, classes, input size, no Mixup/CutMix, 7 epochs,
# lr 5e-4 with a 50-iteration warm-up, validation and checkpoints every 2
# epochs (the best kept), a log line every 10 iterations, and seed 0.
_base_ = [
    '../_base_/models/conformer-tiny-p16.py',
    '../_base_/datasets/custom_folder.py',
    '../_base_/schedules/imagenet_bs1024_adamw_conformer.py',
    '../_base_/mmconformer_runtime.py',
]

data_root = 'data/shapes'
num_classes = 6
img_size = 48

model = dict(
    head=dict(num_classes=num_classes, topk=(1, )),
    # No batch augments: Mixup/CutMix slow a toy dataset down without helping
    # it. None (not augments=None) also keeps the labels as class indices.
    train_cfg=None)

data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=dict(backend='checked_image')),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.85, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=dict(backend='checked_image')),
    dict(type='Resize', scale=img_size),
    dict(type='PackInputs'),
]
# one loader process leaves the second core to the model
train_dataloader = dict(num_workers=1, dataset=dict(
    data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(
    data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 7
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    # a short warm-up (50 iterations), then cosine over the epochs
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=2)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=2, max_keep_ckpts=2, save_best='auto'))
randomness = dict(seed=0)
