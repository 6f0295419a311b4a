# UPerNet with a Conformer-S/32 backbone on ADE20K, 512x512 crops, 160k
# iterations, 8 GPUs x 2 images. Not benchmarked on ADE20K: no Conformer
# segmentation result has been published (official repo issue #12).
#
# The bases are mmseg's own: the dataset, runtime and schedule of its Swin and
# ConvNeXt UPerNet configs (swin-tiny-patch4-window7-in1k-pre_upernet
# _8xb2-160k_ade20k-512x512.py, convnext-tiny_upernet_8xb2-amp-160k_ade20k
# -512x512.py), and its Swin UPerNet model with our Conformer-S/32 backbone
# and the heads' input channels (../_base_/models/upernet_conformer-small-
# p32.py). Only the classes and the optimiser change here, as explained below.
_base_ = [
    '../_base_/models/upernet_conformer-small-p32.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
    '../_base_/mmconformer_dense_runtime.py',
]

crop_size = (512, 512)
# mmseg's preprocessor: ImageNet mean/std on RGB (what the classifier was
# trained with), batches padded to the crop size.
data_preprocessor = dict(size=crop_size)

model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))

# AdamW with a short linear warm-up and a linear (power 1) poly decay over
# 160k iterations: the schedule of mmseg's Swin and ConvNeXt UPerNets. The
# learning rate and weight decay are Swin's (6e-5, 0.01), the transformer
# that Conformer's token branch resembles; as in our ImageNet recipe, norms,
# biases and the class token get no weight decay.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={'.cls_token': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
        end=1500),
    dict(
        type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000,
        by_epoch=False),
]

# Data: mmseg's ADE20K base unchanged (random resize of the 2048x512 scale by
# 0.5-2, 512x512 crops, flip, photometric distortion; test at 2048x512).
# Inference: upernet_swin.py's 'whole' mode: the backbone takes any input
# size (its stem pads to the patch grid), so no sliding window is needed.
# 8 GPUs x 2 images, as mmseg's 8xb2 configs.
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

# Atomic checkpoints (configs/_base_/mmconformer_runtime.py says why).
default_hooks = dict(checkpoint=dict(type='mmpretrain.AtomicCheckpointHook'))
