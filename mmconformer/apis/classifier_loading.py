# Copyright (c) mmconformer contributors. All rights reserved.
"""Build a classifier from a config file and load a checkpoint into it,
strictly: the deployment tools must not ship a model whose weights did not
load."""
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config

from ..models import ConformerBackbone  # noqa: F401  (registers our models)
from ..checkpoint.pretrained import load_pretrained

__all__ = ['load_classifier']


def load_classifier(config: Union[str, Config],
                    checkpoint: Optional[str] = None,
                    cfg_options: Optional[dict] = None,
                    device: str = 'cpu',
                    strict: bool = True) -> nn.Module:
    """Build ``config``'s model in eval mode and load ``checkpoint``.

    Unlike ``mmpretrain.apis.get_model`` (``strict=False``), every weight
    the model has must be in the checkpoint with the same shape, and the
    checkpoint may hold no other weight than those of blocks the model does
    not build (a dense backbone's); a checkpoint of another arch, class
    count or patch size is refused with one line naming the first key that
    differs. Official-layout checkpoints are converted on the fly, and local
    files are read weights-only. As ``get_model`` does, the model keeps its
    config (``model._config``) and the checkpoint's dataset meta
    (``model._dataset_meta``: the class names), which mmpretrain's
    Inferencers read.

    Args:
        config (str | Config): A config file or a loaded config.
        checkpoint (str, optional): A checkpoint path or URL. Defaults to
            None: keep the initial weights.
        cfg_options (dict, optional): Overrides merged into the config, as
            ``--cfg-options`` gives them. Defaults to None.
        device (str): Where to put the model. Defaults to ``'cpu'``.
        strict (bool): Refuse a checkpoint that does not fit. Defaults to
            True; False loads the weights that fit and logs, in a few lines,
            what it left out.

    Raises:
        CheckpointError: an unreadable checkpoint, or one that does not fit
            the config (naming the first missing key or wrong shape).
    """
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model.copy()
    # As mmengine's Runner and mmpretrain's init_model do: a top-level
    # data_preprocessor (mean, std, to_rgb) belongs to the model.
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    # The checkpoint below replaces any pretrained init of the backbone.
    if checkpoint is not None and 'init_cfg' in model_cfg.get('backbone', {}):
        model_cfg.backbone = dict(model_cfg.backbone, init_cfg=None)
    model = MODELS.build(model_cfg)
    meta = {}
    if checkpoint is not None:
        meta = load_pretrained(model, checkpoint, strict=strict)
    else:
        model.init_weights()
    model._config = cfg
    model._dataset_meta = dict(meta.get('dataset_meta') or {})
    return model.to(device).eval()
