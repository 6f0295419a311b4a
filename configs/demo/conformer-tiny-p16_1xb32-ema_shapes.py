# The shapes demo with an EMA of the weights, as the official ImageNet recipe
# keeps, its decay scaled to the demo's length. The official horizon,
# 1 / (1 - 0.99996) = 25,000 iterations, is 6.66% of its 375,600 (300 epochs
# of 1,252); 6.66% of the demo's 791 (7 epochs of 113) is 52.6 iterations:
# momentum 1 / 52.6 = 0.019 (decay 0.981).
_base_ = ['./conformer-tiny-p16_1xb32_shapes.py']

custom_hooks = _base_.custom_hooks + [
    dict(type='EMAHook', momentum=0.019, interval=1, update_buffers=True,
         priority='ABOVE_NORMAL')
]
