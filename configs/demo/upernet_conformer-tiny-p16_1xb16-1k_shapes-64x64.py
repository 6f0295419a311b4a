# UPerNet + Conformer-tiny-p16 on the synthetic shapes label maps
# (tools/dataset_converters/make_shapes_dataset.py --seg-maps), a CPU demo of
# mmseg training: `make demo-seg` runs it through tools/run_seg_demo.py.
# It inherits the ADE20K config, as a user's own project would, and changes
# what a 7-class 64x64 toy dataset on one CPU needs.
_base_ = ['../mmseg/upernet_conformer-small-p32_8xb2-160k_ade20k-512x512.py']

data_root = 'data/shapes-seg'
# label 0 is the background, k + 1 the k-th shape of the generator
classes = ('background', 'disc', 'square', 'triangle', 'ring', 'cross',
           'bar')
palette = [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25],
           [0, 130, 200], [245, 130, 48], [145, 30, 180]]
num_classes = len(classes)
crop_size = (64, 64)
max_iters = 1000

# One process, no GPU: plain BatchNorm in the heads instead of SyncBN.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch='tiny',
        patch_size=16,
        drop_path_rate=0.,
        # tiny: 64/128/256/256 channels at strides 4/8/16/32
        out_indices=[4, 8, 11, 12],
        # trained from scratch with 16 images a batch: batch statistics are
        # fine, and nothing is frozen
        norm_eval=False,
        frozen_stages=-1,
        init_cfg=None),
    # heads narrowed for a CPU (mmseg's are 512 and 256 wide)
    decode_head=dict(
        in_channels=[64, 128, 256, 256],
        channels=128,
        num_classes=num_classes,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=256,
        channels=64,
        num_classes=num_classes,
        norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=dict(classes=classes, palette=palette),
    img_suffix='.png',
    seg_map_suffix='.png',
    # label 0 is a real class here (ADE20K's base drops it)
    reduce_zero_label=False)
train_dataloader = dict(
    batch_size=16,
    # one loader process leaves the second core to the model
    num_workers=1,
    dataset=dict(
        _delete_=True,
        data_prefix=dict(img_path='train', seg_map_path='seg_maps/train'),
        pipeline=train_pipeline,
        **dataset))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        data_prefix=dict(img_path='val', seg_map_path='seg_maps/val'),
        pipeline=test_pipeline,
        **dataset))
test_dataloader = val_dataloader

# From scratch: a larger learning rate than fine-tuning's 6e-5, a short
# warm-up, then the same linear poly decay.
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters,
         by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    # no per-iteration drawing during training
    visualization=dict(draw=False))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
