# `make demo-cam`: the demo model, fine-tuned to find the shape anywhere in a
# larger image, so that its class activation maps can be scored (the pointing
# game, tools/analysis_tools/pointing_game.py).
#
# Why a second stage: the demo trains at 48x48 on shapes that fill the frame.
# There, the CNN branch's last fusion block (stride 32) is a 2x2 map, and the
# image centre lies on the shape most of the time, so no CAM can show where
# the model looks. Here the images are 160x160 (a 5x5 map at stride 32) with
# shapes of radius 0.18-0.28 of the side placed anywhere
# (make_shapes_dataset.py --size 160 --radius 0.18 0.28), so that pointing
# at the centre and pointing at the shape differ (docs/en/visualization.md
# gives the baselines).
#
# Inherits the demo config (same 6 classes); changes the data, the input
# size (160: the images' own), the batch size, and the schedule: the whole
# demo model is loaded (`load_from`, weights only), then 8 epochs at the
# demo's learning rate with a 20-iteration warm-up (docs/en/visualization.md
# gives the accuracy it reaches).
_base_ = ['./conformer-tiny-p16_1xb32_shapes.py']

data_root = 'data/shapes-160'
img_size = 160
load_from = 'work_dirs/demo/epoch_7.pth'

train_pipeline = [
    dict(type='CheckImageFile'),
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.85, 1.0)),
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
    batch_size=16,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 8
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
