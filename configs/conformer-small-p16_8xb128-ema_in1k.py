# conformer-small-p16_8xb128_in1k.py with an exponential moving average of the
# weights, as the official recipe keeps (docs/en/train_test.md, "EMA").
_base_ = ['./conformer-small-p16_8xb128_in1k.py']

# mmengine's EMAHook beside the runtime's hooks (EpochRNGHook included):
# decay 0.99996 per iteration (momentum = 1 - decay), updated every
# iteration, over parameters and BatchNorm statistics alike (the official
# timm ModelEma averages the whole state dict). Validation and testing run
# the EMA weights, and checkpoints save them, with the raw weights under
# 'ema_state_dict' so that --resume restores both.
custom_hooks = _base_.custom_hooks + [
    dict(type='EMAHook', momentum=4e-5, interval=1, update_buffers=True,
         priority='ABOVE_NORMAL')
]
