import pytest
import torch
from mmpretrain.models.heads import ClsHead, ConformerHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmconformer import DualBranchClsHead  # noqa: F401 (registers it)


def feats(n=4, conv=16, trans=8):
    return ((torch.randn(n, conv), torch.randn(n, trans)), )


def samples(labels, num_classes=5, soft=False):
    out = []
    for label in labels:
        sample = DataSample().set_gt_label(label)
        if soft:
            score = torch.full((num_classes, ), 0.1 / (num_classes - 1))
            score[label] = 0.9
            sample.set_gt_score(score)
        out.append(sample)
    return out


def total(losses):
    """The loss mmengine optimises: the sum of every ``loss*`` entry."""
    return sum(v for k, v in losses.items() if 'loss' in k)


def build(**kwargs):
    kwargs.setdefault('num_classes', 5)
    kwargs.setdefault('in_channels', [16, 8])
    return MODELS.build(dict(type='DualBranchClsHead', **kwargs))


def test_is_a_conformer_head_with_two_named_linears():
    head = build()
    # mmdeploy's classifier rewriter sums the two logits only for these
    assert isinstance(head, ConformerHead) and isinstance(head, ClsHead)
    assert head.conv_cls_head.in_features == 16
    assert head.trans_cls_head.in_features == 8
    assert head.conv_cls_head.out_features == 5
    assert set(head.state_dict()) == {
        'conv_cls_head.weight', 'conv_cls_head.bias', 'trans_cls_head.weight',
        'trans_cls_head.bias'
    }


def test_loss_hard_labels_one_entry_per_branch():
    head = build()
    x = feats()
    conv_score, trans_score = head(x)
    target = torch.tensor([0, 1, 2, 3])
    losses = head.loss(x, samples([0, 1, 2, 3]))
    assert set(losses) == {'loss_conv', 'loss_trans'}
    torch.testing.assert_close(
        losses['loss_conv'],
        torch.nn.functional.cross_entropy(conv_score, target))
    torch.testing.assert_close(
        losses['loss_trans'],
        torch.nn.functional.cross_entropy(trans_score, target))
    loss = total(losses)
    loss.backward()
    assert head.conv_cls_head.weight.grad is not None
    assert head.trans_cls_head.weight.grad is not None


def test_loss_soft_labels():
    head = build(loss=dict(type='CrossEntropyLoss', use_soft=True))
    x = feats()
    data = samples([0, 1, 2, 3], soft=True)
    target = torch.stack([d.gt_score for d in data])
    expected = sum(-(target * s.log_softmax(1)).sum(1).mean()
                   for s in head(x))
    torch.testing.assert_close(total(head.loss(x, data)), expected)


def test_loss_config_is_used():
    x = feats()
    data = samples([0, 1, 2, 3])
    plain = build()
    weighted = build(loss=dict(type='CrossEntropyLoss', loss_weight=3.0))
    weighted.load_state_dict(plain.state_dict())
    torch.testing.assert_close(
        total(weighted.loss(x, data)), 3 * total(plain.loss(x, data)))


def test_label_smooth_loss_with_mixup_scores():
    head = build(
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'))
    loss = total(head.loss(feats(), samples([0, 1, 2, 3], soft=True)))
    assert torch.isfinite(loss) and loss > 0


def test_cal_acc_and_topk():
    head = build(cal_acc=True, topk=(1, 2))
    x = feats()
    scores = head(x)[0] + head(x)[1]
    labels = scores.argmax(1)
    labels[0] = scores[0].argsort(descending=True)[1]  # a top-2 hit only
    losses = head.loss(x, samples(labels.tolist()))
    assert losses['accuracy_top-1'][0].item() == pytest.approx(75.0)
    assert losses['accuracy_top-2'][0].item() == pytest.approx(100.0)
    # Under Mixup the original hard labels are used.
    soft = head.loss(x, samples(labels.tolist(), soft=True))
    assert soft['accuracy_top-1'][0].item() == pytest.approx(75.0)
    assert 'accuracy_top-1' not in build(cal_acc=False).loss(
        x, samples(labels.tolist()))


def test_predict_uses_summed_logits():
    head = build()
    with torch.no_grad():
        head.trans_cls_head.weight.zero_()
        head.trans_cls_head.bias.copy_(torch.tensor([0, 0, 0, 0, 100.]))
    x = feats()
    preds = head.predict(x)
    conv_score, trans_score = head(x)
    expected = torch.softmax(conv_score + trans_score, dim=1)
    for pred, score in zip(preds, expected):
        torch.testing.assert_close(pred.pred_score, score)
        assert pred.pred_label.item() == 4
    with_samples = head.predict(x, samples([0, 1, 2, 3]))
    assert with_samples[1].gt_label.item() == 1


def test_init_cfg():
    head = build(init_cfg=dict(type='Constant', layer='Linear', val=0.5))
    head.init_weights()
    assert torch.all(head.conv_cls_head.weight == 0.5)
    default = build()
    default.init_weights()
    assert 0.01 < default.conv_cls_head.weight.std() < 0.03
    assert torch.all(default.conv_cls_head.bias == 0)


@pytest.mark.parametrize('num_classes', [0, -1, 2.5, None, True])
def test_bad_num_classes(num_classes):
    with pytest.raises(ValueError, match='num_classes'):
        build(num_classes=num_classes)


@pytest.mark.parametrize('in_channels', [16, [16], [16, 8, 4], [16, 0],
                                         [16, 8.0], '16'])
def test_bad_in_channels(in_channels):
    with pytest.raises(ValueError, match='in_channels'):
        build(in_channels=in_channels)


def test_width_mismatch_names_both_widths():
    head = build()
    with pytest.raises(ValueError, match=r'shape \(4, 12\).*width 16'):
        head(((torch.randn(4, 12), torch.randn(4, 8)), ))
    with pytest.raises(TypeError, match='pairs'):
        head((torch.randn(4, 16), ))
