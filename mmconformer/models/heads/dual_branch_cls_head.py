# Copyright (c) mmconformer contributors. All rights reserved.
"""Classification head with one linear classifier per Conformer branch."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

BranchFeatures = Sequence[torch.Tensor]


@MODELS.register_module()
class DualBranchClsHead(ClsHead):
    """Two linear classifiers, one on the pooled CNN feature
    (``conv_cls_head``) and one on the transformer feature
    (``trans_cls_head``), as in Conformer.

    Training sums the loss of both branches (mmpretrain's recipe; the official
    repo halves each). It works with hard labels and with the soft labels
    that Mixup/CutMix write into ``gt_score``. Prediction uses the sum of the
    two branches' logits.

    Args:
        num_classes (int): Number of categories, a positive int.
        in_channels (Sequence[int]): ``(conv_channels, trans_channels)``, the
            widths of the two features the backbone returns.
        loss (dict): Config of the loss applied to each branch. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | Tuple[int]): Top-k accuracy with ``cal_acc``.
            Defaults to ``(1, )``.
        cal_acc (bool): Compute the training accuracy of the summed logits.
            Under Mixup/CutMix it is measured against the samples' original
            hard labels. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to
            ``dict(type='TruncNormal', layer='Linear', std=0.02)``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 init_cfg: Optional[dict] = dict(
                     type='TruncNormal', layer='Linear', std=.02),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if not isinstance(num_classes, int) or isinstance(
                num_classes, bool) or num_classes <= 0:
            raise ValueError(f'num_classes must be a positive int, got '
                             f'{num_classes!r}')
        if (not isinstance(in_channels, Sequence)
                or isinstance(in_channels, str) or len(in_channels) != 2
                or not all(
                    isinstance(c, int) and not isinstance(c, bool) and c > 0
                    for c in in_channels)):
            raise ValueError(f'in_channels must be a pair of positive ints '
                             f'(conv_channels, trans_channels), got '
                             f'{in_channels!r}')
        self.num_classes = num_classes
        self.in_channels = tuple(in_channels)
        self.conv_cls_head = nn.Linear(self.in_channels[0], num_classes)
        self.trans_cls_head = nn.Linear(self.in_channels[1], num_classes)

    def pre_logits(self, feats: Tuple[BranchFeatures]) -> BranchFeatures:
        """Take the ``(conv, trans)`` pair of the last backbone output."""
        last = feats[-1]
        if not isinstance(last, Sequence) or len(last) != 2:
            raise TypeError(
                'DualBranchClsHead expects the backbone to return '
                '(conv_feature, trans_feature) pairs (ConformerBackbone with '
                "out_type='cls_token'), got "
                f'{type(last).__name__}')
        for name, feat, width in zip(('conv', 'trans'), last,
                                     self.in_channels):
            if feat.dim() != 2 or feat.shape[1] != width:
                raise ValueError(
                    f'DualBranchClsHead: the {name} feature has shape '
                    f'{tuple(feat.shape)}, but in_channels expects width '
                    f'{width} (in_channels={list(self.in_channels)})')
        return last

    def forward(
            self,
            feats: Tuple[BranchFeatures]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Return the logits of both branches, ``(conv, trans)``."""
        conv_feat, trans_feat = self.pre_logits(feats)
        return self.conv_cls_head(conv_feat), self.trans_cls_head(trans_feat)

    def predict(
        self,
        feats: Tuple[BranchFeatures],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict with the sum of both branches' logits."""
        conv_score, trans_score = self(feats)
        return self._get_predictions(conv_score + trans_score, data_samples)

    def _get_loss(self, cls_score: Tuple[torch.Tensor, torch.Tensor],
                  data_samples: List[DataSample], **kwargs) -> dict:
        if 'gt_score' in data_samples[0]:
            # Mixup / CutMix store soft labels as gt_score.
            target = torch.stack([i.gt_score for i in data_samples])
        else:
            target = torch.cat([i.gt_label for i in data_samples])
        loss = sum(
            self.loss_module(score, target, avg_factor=score.size(0), **kwargs)
            for score in cls_score)
        losses = dict(loss=loss)
        if self.cal_acc:
            if 'gt_label' not in data_samples[0]:
                raise ValueError('cal_acc=True needs hard labels (gt_label) '
                                 'in the data samples')
            labels = torch.cat([i.gt_label for i in data_samples])
            # Softmax keeps the ranking and makes every score positive, so
            # Accuracy's default threshold (score > 0) cannot drop a hit.
            probs = torch.softmax(cls_score[0] + cls_score[1], dim=1)
            acc = Accuracy.calculate(probs, labels, topk=self.topk)
            losses.update(
                {f'accuracy_top-{k}': a
                 for k, a in zip(self.topk, acc)})
        return losses
