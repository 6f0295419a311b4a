# What mmconformer adds to mmpretrain's runtime (README: "How our configs
# differ from mmpretrain's"). Everything else resolves to mmpretrain's values.

# Register ConformerBackbone, DualBranchClsHead and the engine parts below.
custom_imports = dict(imports=['mmconformer'], allow_failed_imports=False)

# mmengine's Runner, plus a distributed start-up that works without a GPU
# (gloo, DDP without device_ids), so that `--launcher pytorch` runs anywhere;
# with a GPU it is mmengine's own path. mmpretrain's tools/train.py and
# tools/test.py build it because the config names it.
runner_type = 'PortableRunner'

# Reseed the RNGs at every epoch start from (seed, epoch, rank), so that a
# resumed run is bit-identical to an uninterrupted one (mmengine saves no RNG
# state in its checkpoints).
custom_hooks = [dict(type='EpochRNGHook')]
