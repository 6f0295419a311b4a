# Copyright (c) mmconformer contributors. All rights reserved.
"""mmconformer: Conformer for mmpretrain 1.x.

Importing this package registers ``ConformerBackbone`` and
``DualBranchClsHead`` into ``mmpretrain.registry.MODELS``.
"""
from .models import ConformerBackbone, DualBranchClsHead
from .version import __version__, version_info

__all__ = [
    'ConformerBackbone', 'DualBranchClsHead', '__version__', 'version_info'
]
