# Copyright (c) mmconformer contributors. All rights reserved.
"""The one base of our inference wrappers: attributes a wrapper lacks are
read from the module it wraps, so that code inspecting ``model.backbone``
(``with_cls_token``, ``patch_size``, ``out_type``...) keeps working."""
from typing import Any

import torch.nn as nn

__all__ = ['DelegatingModule']


class DelegatingModule(nn.Module):
    """Reads the attributes it lacks from the attribute named by
    :attr:`delegate` (a submodule, or a plain attribute set with
    ``object.__setattr__`` when the wrapped module's weights must not be in
    the wrapper's state dict)."""

    #: The attribute that holds the wrapped module.
    delegate = 'module'

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            try:
                wrapped = object.__getattribute__(self, self.delegate)
            except AttributeError:
                wrapped = super().__getattr__(self.delegate)
            return getattr(wrapped, name)
