# Copyright (c) mmconformer contributors. All rights reserved.
from .conformer_backbone import ConformerBackbone

__all__ = ['ConformerBackbone']
