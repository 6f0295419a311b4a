# Fine-tune Conformer-tiny-p16, pretrained on ImageNet-1k, on your own classes.
#
# Your data, in the folder layout of mmpretrain's CustomDataset
# (configs/_base_/datasets/custom_folder.py):
#     data/my_dataset/train/<class>/*.jpg
#     data/my_dataset/val/<class>/*.jpg
# What to change: `data_root` and `num_classes` below in a config that
# inherits this one, or with --cfg-options (each loader's
# dataset.data_root=..., model.head.num_classes=...,
# data_preprocessor.num_classes=...: the top-level `data_root` is read when
# the config loads, before --cfg-options apply), and the
# starting checkpoint with
#     --cfg-options model.backbone.init_cfg.checkpoint=PATH_OR_URL
# which may be an mmpretrain checkpoint (the default below), an official one
# (github.com/pengzhiliang/Conformer: converted on the fly) or one of your own
# training runs. Only its `backbone.` weights are loaded; the head is new.
# The ImageNet recipe's bases, with the dataset in the folder layout above.
_base_ = [
    '../_base_/models/conformer-tiny-p16.py',
    '../_base_/datasets/custom_folder.py',
    '../_base_/schedules/imagenet_bs1024_adamw_conformer.py',
    '../_base_/mmconformer_runtime.py',
]

data_root = 'data/my_dataset'
num_classes = 10
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/conformer/conformer-tiny-p16_3rdparty_8xb128_in1k_20211206-f6860372.pth'  # noqa: E501

model = dict(
    backbone=dict(
        # _delete_: the ImageNet config trains from scratch (init_cfg=None)
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint=checkpoint,
            prefix='backbone.')),
    # A new classifier for num_classes on each branch, initialised by the
    # classifier's TruncNormal(0.02) init (the backbone is loaded after it).
    head=dict(num_classes=num_classes),
    # No Mixup/CutMix: they help 300 epochs on ImageNet, not a short
    # fine-tune on few images. None (not augments=None) keeps class indices.
    train_cfg=None)
data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

# Fine-tuning schedule: AdamW at lr 1e-4 for 32 images (ImageNet training:
# 1e-3 for 1024), weight decay 0.05 as in pre-training, a 1-epoch linear
# warm-up, then cosine to 1e-6; 30 epochs instead of 300.
max_epochs = 30
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-6,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
# --auto-scale-lr scales lr 1e-4 by (your total batch) / 32
auto_scale_lr = dict(base_batch_size=32)
# the runtime's AtomicCheckpointHook, keeping the last two and the best
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='auto'))
