# Copyright (c) mmconformer contributors. All rights reserved.
from .bf16_autocast_optim_wrapper import BF16AutocastOptimWrapper
from .portable_constructor import PortableOptimWrapperConstructor

__all__ = ['BF16AutocastOptimWrapper', 'PortableOptimWrapperConstructor']
