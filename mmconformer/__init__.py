# Copyright (c) mmconformer contributors. All rights reserved.
"""mmconformer: Conformer for mmpretrain 1.x.

Importing this package registers ``ConformerBackbone`` and
``DualBranchClsHead`` into ``mmpretrain.registry.MODELS``, the engine parts
(``EpochRNGHook``, ``PortableOptimWrapperConstructor``,
``BF16AutocastOptimWrapper`` and, in mmengine's ``RUNNERS``,
``PortableRunner``), and allowlists the few types of mmengine's training
checkpoints for ``torch.load(weights_only=True)`` so that ``--resume``
works with torch >= 2.6 (also under ``mim train``, through custom_imports).
"""
import warnings

from .utils.quiet import silence_known_warnings

# mmcv-lite (enough for classification) warns on `import mmcv.cnn` that its
# compiled ops are missing; nothing here uses them. The known third-party
# messages are filtered only while our modules are imported.
with warnings.catch_warnings():
    silence_known_warnings()
    from .engine import (EpochRNGHook, PortableRunner,
                         register_mmengine_safe_globals)
    from .models import ConformerBackbone, DualBranchClsHead
from .version import __version__, version_info

register_mmengine_safe_globals()

__all__ = [
    'ConformerBackbone', 'DualBranchClsHead', 'EpochRNGHook',
    'PortableRunner', '__version__', 'version_info'
]
