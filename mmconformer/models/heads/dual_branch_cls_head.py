# Copyright (c) mmconformer contributors. All rights reserved.
"""Classification head with one linear classifier per Conformer branch."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import ConformerHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

BranchFeatures = Sequence[torch.Tensor]

#: The branches, in the order of the backbone's features and the logits.
BRANCHES = ('conv', 'trans')


@MODELS.register_module()
class DualBranchClsHead(ConformerHead):
    """Two linear classifiers, one on the pooled CNN feature
    (``conv_cls_head``) and one on the transformer feature
    (``trans_cls_head``), as in Conformer.

    A subclass of mmpretrain's ``ConformerHead``: the same layers and weight
    names, the same ``forward`` (the pair ``(conv_logits, trans_logits)``) and
    the same prediction (from the sum of the two logits), so tools that
    recognise a ``ConformerHead`` (mmdeploy's classifier rewriter) treat it
    as one. It differs in four ways:

    - its arguments and inputs are checked, and a bad one is named;
    - the training loss is returned per branch, as ``loss_conv`` and
      ``loss_trans``: mmengine logs both and optimises their sum, which
      equals ``ConformerHead``'s ``loss`` (mmpretrain's recipe sums the
      branches; the official repository halves each);
    - ``cal_acc`` also works under Mixup/CutMix, against the samples'
      original hard labels (``ConformerHead`` refuses soft labels);
    - ``predict`` also stores each branch's scores in the data samples,
      for the per-branch accuracy of ``BranchAccuracy``.

    Args:
        num_classes (int): Number of categories, a positive int.
        in_channels (Sequence[int]): ``(conv_channels, trans_channels)``, the
            widths of the two features the backbone returns.
        loss (dict): Config of the loss applied to each branch. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | Tuple[int]): Top-k accuracy with ``cal_acc``.
            Defaults to ``(1, )``.
        cal_acc (bool): Compute the training accuracy of the summed logits.
            Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to
            ``dict(type='TruncNormal', layer='Linear', std=0.02)``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 init_cfg: dict = dict(
                     type='TruncNormal', layer='Linear', std=.02),
                 **kwargs) -> None:
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
        super().__init__(num_classes, list(in_channels), init_cfg=init_cfg,
                         **kwargs)
        self.in_channels = tuple(in_channels)

    def pre_logits(self, feats: Tuple[BranchFeatures]) -> BranchFeatures:
        """Take the ``(conv, trans)`` pair of the last backbone output."""
        last = feats[-1]
        if not isinstance(last, Sequence) or len(last) != 2:
            raise TypeError(
                'DualBranchClsHead expects the backbone to return '
                '(conv_feature, trans_feature) pairs (ConformerBackbone with '
                "out_type='cls_token'), got "
                f'{type(last).__name__}')
        for name, feat, width in zip(BRANCHES, last, self.in_channels):
            # a traced shape is a value: checked on the eager run instead
            if feat.dim() != 2 or (not torch.jit.is_tracing()
                                   and feat.shape[1] != width):
                raise ValueError(
                    f'DualBranchClsHead: the {name} feature has shape '
                    f'{tuple(feat.shape)}, but in_channels expects width '
                    f'{width} (in_channels={list(self.in_channels)})')
        return last

    def predict(self,
                feats: Tuple[BranchFeatures],
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """``ConformerHead``'s prediction (``pred_score``: the softmax of the
        summed logits), with each branch's softmax scores stored beside it as
        ``conv_score`` and ``trans_score`` (what ``BranchAccuracy``
        reads)."""
        scores = self(feats)
        predictions = self._get_predictions(scores[0] + scores[1],
                                            data_samples)
        for branch, score in zip(BRANCHES, scores):
            for sample, probs in zip(predictions,
                                     torch.softmax(score, dim=1).detach()):
                sample.set_field(probs, f'{branch}_score',
                                 dtype=torch.Tensor)
        return predictions

    def _get_loss(self, cls_score: Tuple[torch.Tensor, torch.Tensor],
                  data_samples: List[DataSample],
                  **kwargs) -> Dict[str, torch.Tensor]:
        if 'gt_score' in data_samples[0]:
            # Mixup / CutMix store soft labels as gt_score.
            target = torch.stack([i.gt_score for i in data_samples])
        else:
            target = torch.cat([i.gt_label for i in data_samples])
        losses = {
            f'loss_{branch}': self.loss_module(
                score, target, avg_factor=score.size(0), **kwargs)
            for branch, score in zip(BRANCHES, cls_score)
        }
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
