# Copyright (c) mmconformer contributors. All rights reserved.
"""mmconformer: Conformer for mmpretrain 1.x.

Importing this package registers ``ConformerBackbone`` and
``DualBranchClsHead`` into ``mmpretrain.registry.MODELS`` and ``EpochRNGHook``
into ``mmpretrain.registry.HOOKS``, and allowlists the few types of mmengine's
training checkpoints for ``torch.load(weights_only=True)`` so that ``--resume``
works with torch >= 2.6 (also under ``mim train``, through custom_imports).
"""
from .engine import EpochRNGHook, register_mmengine_safe_globals
from .models import ConformerBackbone, DualBranchClsHead
from .version import __version__, version_info

register_mmengine_safe_globals()

__all__ = [
    'ConformerBackbone', 'DualBranchClsHead', 'EpochRNGHook', '__version__',
    'version_info'
]
