# mmpretrain's runtime with what mmconformer adds (docs/en/train_test.md:
# "How our configs differ from mmpretrain's").
_base_ = 'mmpretrain::_base_/default_runtime.py'

# Register ConformerBackbone, DualBranchClsHead and the engine parts below.
custom_imports = dict(imports=['mmconformer'], allow_failed_imports=False)

# mmengine's Runner, plus a distributed start-up that works without a GPU
# (gloo, DDP without device_ids), so that `--launcher pytorch` runs anywhere,
# and strict checkpoint loading (`load_strict = False` loads what fits). With
# a GPU the start-up is mmengine's own. mmpretrain's tools/train.py and
# tools/test.py build it because the config names it.
runner_type = 'PortableRunner'

custom_hooks = [
    # Reseed the RNGs at every epoch start from (seed, epoch, rank), so that
    # a resumed run is bit-identical to an uninterrupted one when the seed is
    # fixed and deterministic=True (mmengine saves no RNG state in its
    # checkpoints; the ImageNet configs inherit seed=None).
    dict(type='EpochRNGHook'),
    # Stop at the first NaN or Inf loss, naming the iteration and the branch,
    # before a checkpoint of the bad step is written.
    dict(type='FiniteLossHook'),
]

default_hooks = dict(
    # mmengine's CheckpointHook, ordered so that a kill or a full disk never
    # leaves the work dir without a complete checkpoint that last_checkpoint
    # names: each checkpoint is written atomically (the 'atomic_local' file
    # backend), then the pointer, and only then is an old one removed.
    checkpoint=dict(type='AtomicCheckpointHook'))

# --tta (tools/test.py, and mmpretrain's): mmpretrain's flip TTA, with each
# branch's scores averaged over the views too, for BranchAccuracy.
tta_model = dict(type='BranchAverageClsScoreTTA')
