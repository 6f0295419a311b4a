# Copyright (c) mmconformer contributors. All rights reserved.
from .bf16_autocast_optim_wrapper import BF16AutocastOptimWrapper
from .portable_constructor import (PortableOptimWrapperConstructor,
                                   accelerator_available)

__all__ = [
    'BF16AutocastOptimWrapper', 'PortableOptimWrapperConstructor',
    'accelerator_available'
]
