# Copyright (c) mmconformer contributors. All rights reserved.
"""``--tta``: a test config turned into its test-time-augmentation form."""
import copy

from mmengine.config import Config, ConfigDict

__all__ = ['use_tta']


def use_tta(cfg: Config) -> Config:
    """Wrap the model of ``cfg`` in its ``tta_model`` and give the test
    loader its ``tta_pipeline``, in place, as mmpretrain's ``tools/test.py
    --tta`` does: without a ``tta_model`` mmpretrain's
    ``AverageClsScoreTTA``; without a ``tta_pipeline`` the test pipeline
    with a horizontal flip and the unflipped view (the mean of the two
    views' scores). Our runtime config names
    :class:`~mmconformer.models.BranchAverageClsScoreTTA`, which averages
    each branch's scores as well.

    Args:
        cfg (Config): A test config.

    Returns:
        Config: ``cfg``.
    """
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
    if 'tta_pipeline' not in cfg:
        test_pipeline = cfg.test_dataloader.dataset.pipeline
        cfg.tta_pipeline = copy.deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[
                dict(type='RandomFlip', prob=1.),
                dict(type='RandomFlip', prob=0.)
            ], [test_pipeline[-1]]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg
