# The fine-tuning config with layer-wise learning-rate decay, as ViTs are
# fine-tuned: layer i of n = depth + 2 (the stem and patch embedding are
# layer 0, block i is layer i, the heads and trans_norm layer n - 1) trains
# at lr * layer_decay_rate ** (n - 1 - i), so the pretrained early layers
# move least (ConformerBackbone.get_layer_depth).
#
# 0.65 is the rate of mmpretrain's ViT-B fine-tuning configs (MAE, BEiT,
# EVA; 12 blocks, as here): with n = 14 the stem trains at 0.65 ** 13 = 0.4%
# of the heads' lr, block 6 at 0.65 ** 7 = 4.9%.
# mmpretrain's LearningRateDecayOptimWrapperConstructor replaces our portable
# one: with it, --amp needs a GPU.
_base_ = ['./conformer-tiny-p16_in1k-pre_1xb32-30e_custom.py']

optim_wrapper = dict(
    constructor='LearningRateDecayOptimWrapperConstructor',
    # the base's no-decay rules (norms, biases, cls_token) are kept
    paramwise_cfg=dict(layer_decay_rate=0.65))
