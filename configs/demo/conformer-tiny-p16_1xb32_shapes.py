# Conformer-tiny-p16 on the synthetic shapes dataset
# (tools/dataset_converters/make_shapes_dataset.py), for a CPU demo.
# Inherits the ImageNet config (model, optimizer type, runtime) and changes
# what a 7-epoch run on a 6-class 64x64 toy dataset needs: data root and
# loaders, classes, input size, top-k, no Mixup/CutMix, batch 32, 7 epochs,
# lr 5e-4 with a 50-iteration warm-up, validation and checkpoints every 2
# epochs (the best kept), a log line every 10 iterations, and seed 0.
_base_ = ['../conformer-tiny-p16_8xb128_in1k.py']

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
    dict(type='CheckImageFile'),
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.85, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckImageFile'),
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_size),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    # one loader process leaves the second core to the model
    num_workers=1,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='BranchAccuracy', topk=(1, ))
test_evaluator = val_evaluator

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
