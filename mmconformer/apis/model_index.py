# Copyright (c) mmconformer contributors. All rights reserved.
"""Our models by name in mmpretrain's ``get_model``, ``list_models`` and
Inferencers, through mmpretrain's public ``ModelHub.register_model_index``."""
import os.path as osp
from typing import Optional

__all__ = ['model_index_path', 'register_model_index']

_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))
_registered = False


def model_index_path() -> Optional[str]:
    """Our ``model-index.yml``: in the package's ``.mim`` folder (wheel and
    editable installs), else in the source tree beside the package."""
    for path in (osp.join(_PACKAGE, '.mim', 'model-index.yml'),
                 osp.join(osp.dirname(_PACKAGE), 'model-index.yml')):
        if osp.isfile(path):
            return path
    return None


def register_model_index() -> bool:
    """Register our model index with mmpretrain's ``ModelHub`` (once per
    process). The names are our own (``conformer-*_mmconformer_in1k``), so
    they never clash with mmpretrain's, which build its ``Conformer``.

    Returns:
        bool: False when no model index was found (a source tree without
        its configs), True once registered.
    """
    global _registered
    if _registered:
        return True
    path = model_index_path()
    if path is None:
        return False
    from mmpretrain.apis import ModelHub
    ModelHub.register_model_index(path, config_prefix=osp.dirname(path))
    _registered = True
    return True
