# Copyright (c) mmconformer contributors. All rights reserved.
"""Test-time augmentation that averages each branch's scores too."""
from typing import List

import torch
from mmpretrain.models.tta import AverageClsScoreTTA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..heads.dual_branch_cls_head import BRANCHES

__all__ = ['BranchAverageClsScoreTTA']


@MODELS.register_module()
class BranchAverageClsScoreTTA(AverageClsScoreTTA):
    """mmpretrain's ``AverageClsScoreTTA`` (the mean ``pred_score`` over the
    augmented views), which also averages the ``conv_score`` and
    ``trans_score`` of ``DualBranchClsHead`` over the views.

    mmpretrain's merge copies the first view's other fields, so without this
    ``BranchAccuracy`` would score the branches on one view and their sum on
    all. Our runtime config names it as ``tta_model``, which ``--tta``
    (``tools/test.py``, and mmpretrain's) uses.

    Args:
        module (dict | nn.Module): The classifier, as for mmengine's
            ``BaseTTAModel``.
    """

    def _merge_single_sample(self,
                             data_samples: List[DataSample]) -> DataSample:
        merged = super()._merge_single_sample(data_samples)
        for branch in BRANCHES:
            key = f'{branch}_score'
            if all(key in sample for sample in data_samples):
                mean = sum(sample.get(key)
                           for sample in data_samples) / len(data_samples)
                merged.set_field(mean, key, dtype=torch.Tensor)
        return merged
