# mmpretrain's AdamW schedule of Conformer (lr 1e-3 for 1024 images, weight
# decay 0.05 except on norms, biases and the class token, 5 warm-up + 295
# cosine epochs), with our optimizer-wrapper constructor: mmengine's, except
# that `--amp` (AmpOptimWrapper) trains in bf16 autocast on a machine without
# a GPU instead of failing, and that `compile=True` works (plain-dict param
# groups).
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_conformer.py'

optim_wrapper = dict(constructor='PortableOptimWrapperConstructor')
