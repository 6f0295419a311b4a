# Copyright (c) mmconformer contributors. All rights reserved.
"""Top-k accuracy of each Conformer branch beside that of their sum."""
from typing import Dict, List, Sequence

from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.registry import METRICS

from ...models.heads.dual_branch_cls_head import BRANCHES

__all__ = ['BranchAccuracy']


@METRICS.register_module()
class BranchAccuracy(Accuracy):
    """mmpretrain's ``Accuracy`` of the prediction (the sum of the two
    branches' logits, as ``ConformerHead`` predicts), plus the same top-k of
    the CNN head and of the transformer head alone.

    ``DualBranchClsHead.predict`` stores each branch's softmax scores in the
    data samples as ``conv_score`` and ``trans_score``. With the default
    prefix the metrics are:

    - ``accuracy/top1``, ``accuracy/top5``...: the sum, the headline that
      ``save_best='auto'`` and the docs use, named as ``Accuracy`` names it;
    - ``accuracy/conv_top1``, ``accuracy/trans_top1``... : each branch.

    Samples without branch scores (another head, or mmpretrain's
    test-time augmentation, which merges ``pred_score`` only) give the
    headline alone.

    Args:
        topk (int | Sequence[int]): As ``Accuracy``'s. Defaults to ``(1, )``.
        thrs (float | Sequence[float | None], optional): As ``Accuracy``'s
            (applied to the branches too). Defaults to 0.
        collect_device (str): As ``Accuracy``'s. Defaults to ``'cpu'``.
        prefix (str, optional): As ``Accuracy``'s. Defaults to None
            (``'accuracy'``).
    """

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        start = len(self.results)
        super().process(data_batch, data_samples)
        for result, sample in zip(self.results[start:], data_samples):
            for branch in BRANCHES:
                key = f'{branch}_score'
                if key in sample:
                    result[key] = sample[key].cpu()

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = super().compute_metrics(results)
        for branch in BRANCHES:
            key = f'{branch}_score'
            if not all(key in res for res in results):
                continue
            branch_metrics = super().compute_metrics(
                [dict(pred_score=res[key], gt_label=res['gt_label'])
                 for res in results])
            metrics.update({f'{branch}_{name}': value
                            for name, value in branch_metrics.items()})
        return metrics
