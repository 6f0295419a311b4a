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

# the demo's pipelines at this size
train_pipeline = [
    dict(t, scale=img_size) if 'scale' in t else t
    for t in _base_.train_pipeline
]
test_pipeline = [
    dict(t, scale=img_size) if 'scale' in t else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 8
# the demo's learning rate and schedule, with a 20-iteration warm-up
param_scheduler = [
    dict(_base_.param_scheduler[0], end=20),
    dict(_base_.param_scheduler[1], T_max=max_epochs, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
