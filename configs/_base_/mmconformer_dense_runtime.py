# What mmconformer adds to mmdet's and mmseg's runtimes, for the detection
# and segmentation configs (docs/en/dense_tasks.md).

# Registers mmpretrain.ConformerBackbone (and DualBranchConcatNeck) before
# the model is built.
custom_imports = dict(imports=['mmconformer'], allow_failed_imports=False)

# mmengine's Runner, plus checkpoint loading that reads training checkpoints
# weights-only on torch >= 2.6 (mmengine 0.10.7's own cannot) and strictly,
# and a distributed start-up that works without a GPU
# (configs/_base_/mmconformer_runtime.py says more).
runner_type = 'PortableRunner'

# Stop at the first NaN or Inf loss, naming the iteration and the loss, before
# a checkpoint of the bad step is written (mmdet's and mmseg's runtimes have
# no custom hooks of their own).
custom_hooks = [dict(type='mmpretrain.FiniteLossHook')]
