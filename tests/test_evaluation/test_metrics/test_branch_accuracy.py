"""BranchAccuracy: top-k of the summed logits (the headline, named as
mmpretrain's Accuracy names it) and of each branch."""
import pytest
import torch
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

from mmconformer.models import DualBranchClsHead


def samples(conv, trans, labels):
    """Data samples as the head predicts them, from chosen logits."""
    head = DualBranchClsHead(num_classes=3, in_channels=(4, 4))
    conv_head, trans_head = head.conv_cls_head, head.trans_cls_head
    # identity-like heads: the logits are the features' first 3 values
    for linear in (conv_head, trans_head):
        linear.weight.data = torch.eye(3, 4)
        linear.bias.data.zero_()
    pad = torch.zeros(len(labels), 1)
    data = [DataSample().set_gt_label(label) for label in labels]
    return head.predict([(torch.cat([conv, pad], 1),
                          torch.cat([trans, pad], 1))], data)


def test_each_branch_and_the_sum():
    """Every label is 0. The CNN branch is right on 3 samples, the
    transformer on 1, their sum on 2; the second-ranked classes, worked out
    by hand, give each top-2."""
    conv = torch.tensor([[3., 0, 0], [3, 0, 0], [3, 0, 0], [0, 3, 1]])
    trans = torch.tensor([[1., 0, 0], [0, 5, 1], [.5, 0, 1], [0, .5, 2]])
    predicted = samples(conv, trans, [0, 0, 0, 0])
    for sample, c, t in zip(predicted, conv, trans):
        torch.testing.assert_close(sample.conv_score, c.softmax(0))
        torch.testing.assert_close(sample.trans_score, t.softmax(0))
        torch.testing.assert_close(sample.pred_score, (c + t).softmax(0))
    metric = METRICS.build(dict(type='BranchAccuracy', topk=(1, 2)))
    metric.process(None, [s.to_dict() for s in predicted])
    assert metric.evaluate(len(predicted)) == pytest.approx({
        'accuracy/top1': 50.0, 'accuracy/top2': 75.0,
        'accuracy/conv_top1': 75.0, 'accuracy/conv_top2': 75.0,
        'accuracy/trans_top1': 25.0, 'accuracy/trans_top2': 50.0})


def test_branch_scores_differ_from_the_headline():
    conv = torch.tensor([[0., 2, 0], [0, 2, 0]])
    trans = torch.tensor([[3., 0, 0], [3, 0, 0]])
    metric = METRICS.build(dict(type='BranchAccuracy'))
    metric.process(None, [s.to_dict()
                          for s in samples(conv, trans, [1, 1])])
    assert metric.evaluate(2) == {
        'accuracy/top1': 0.0, 'accuracy/conv_top1': 100.0,
        'accuracy/trans_top1': 0.0}


def test_samples_without_branch_scores_give_the_headline_alone():
    """mmpretrain's test-time augmentation merges pred_score only."""
    sample = DataSample().set_gt_label(2).set_pred_score(
        torch.tensor([0.1, 0.2, 0.7]))
    metric = METRICS.build(dict(type='BranchAccuracy'))
    metric.process(None, [sample.to_dict()])
    assert metric.evaluate(1) == {'accuracy/top1': 100.0}
