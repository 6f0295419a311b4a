# Copyright (c) mmconformer contributors. All rights reserved.
"""mmconformer: Conformer for mmpretrain 1.x.

Importing this package registers ``ConformerBackbone``,
``DualBranchClsHead`` and ``DualBranchConcatNeck`` into
``mmpretrain.registry.MODELS``, the ``BranchAccuracy`` metric, the
``checked_image`` file backend of our image loaders, the engine
parts (the hooks ``EpochRNGHook``, ``FiniteLossHook`` and
``AtomicCheckpointHook``, the ``atomic_local`` file backend,
``PortableOptimWrapperConstructor``, ``BF16AutocastOptimWrapper`` and, in
mmengine's ``RUNNERS``, ``PortableRunner``).
It also registers our model index with mmpretrain's ``ModelHub``, so that
``get_model('conformer-tiny-p16_mmconformer_in1k')`` builds our model, and
a loader of our four published weight URLs with mmengine's
``CheckpointLoader``, which fetches them from ``$MMCONFORMER_WEIGHTS_MIRROR``
when it is set and checks each file against the hash in its name
(:mod:`mmconformer.checkpoint.published`).

Nothing else in the process changes: the warning filters are restored
after the import, and torch's allowlist for ``weights_only`` loading is
left alone (our loaders allow what mmengine's training checkpoints need
for their own loads only: :mod:`mmconformer.checkpoint.safe_globals`).
"""
import warnings

from .utils.quiet import silence_known_warnings

# mmcv-lite (enough for classification) warns on `import mmcv.cnn` that its
# compiled ops are missing; nothing here uses them. The known third-party
# warnings are ignored only while our modules are imported: catch_warnings
# restores the process's filters afterwards, and no logger is touched.
with warnings.catch_warnings():
    silence_known_warnings(log_lines=False)
    from .apis import register_model_index
    from .checkpoint import register_published_weights
    from .datasets import CheckedImageBackend
    from .engine import EpochRNGHook, PortableRunner
    from .evaluation import BranchAccuracy
    from .models import (ConformerBackbone, DualBranchClsHead,
                         DualBranchConcatNeck, fuse_conv_bn)
from .version import __version__, version_info

register_model_index()
register_published_weights()

__all__ = [
    'BranchAccuracy', 'CheckedImageBackend', 'ConformerBackbone',
    'DualBranchClsHead', 'DualBranchConcatNeck', 'EpochRNGHook',
    'PortableRunner', '__version__', 'fuse_conv_bn', 'version_info'
]
