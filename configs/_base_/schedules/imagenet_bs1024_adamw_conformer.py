# AdamW schedule of Conformer (mmpretrain's
# configs/_base_/schedules/imagenet_bs1024_adamw_conformer.py).
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW',
        # 128 images per GPU x 8 GPUs: lr = 5e-4 * 128 * 8 / 512 = 0.001
        lr=5e-4 * 128 * 8 / 512,
        weight_decay=0.05,
        eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
        }),
    # mmengine's default constructor, except that `--amp` (AmpOptimWrapper)
    # trains in bf16 autocast on a machine without a GPU instead of failing,
    # and that `compile=True` works (plain-dict param groups).
    constructor='PortableOptimWrapperConstructor',
)

# 5 warm-up epochs from 1e-3 x lr, then cosine to 1e-5 over 295 epochs.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=295,
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        end=300)
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# Scale the lr linearly when the real total batch differs from 1024
# (enable with --auto-scale-lr).
auto_scale_lr = dict(base_batch_size=1024)
