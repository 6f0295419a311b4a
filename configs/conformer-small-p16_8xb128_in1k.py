# Conformer-small-p16 on ImageNet-1k, 8 GPUs x 128 images, 300 epochs.
# Same resolved settings as mmpretrain's configs/conformer/conformer-small-p16_8xb128_in1k.py.
_base_ = [
    './_base_/models/conformer-small-p16.py',
    './_base_/datasets/imagenet_bs64_swin_224.py',
    './_base_/schedules/imagenet_bs1024_adamw_conformer.py',
    './_base_/mmconformer_runtime.py',
]

train_dataloader = dict(batch_size=128)
