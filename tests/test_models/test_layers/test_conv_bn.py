"""conv_bn: BatchNorm folded into the conv in eval mode, same function."""
import pytest
import torch
import torch.nn as nn

from mmconformer.models.layers.utils import conv_bn


def make(bias):
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=bias).double()
    bn = nn.BatchNorm2d(6, eps=1e-6).double()
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
    return conv, bn


@pytest.mark.parametrize('bias', [False, True])
def test_eval_mode_equals_conv_then_bn_with_gradients(bias):
    conv, bn = make(bias)
    bn.eval()  # also what norm_eval does while the model trains
    x = torch.randn(2, 4, 9, 7, dtype=torch.float64, requires_grad=True)
    folded = conv_bn(conv, bn, x)
    grads = torch.autograd.grad(folded.square().sum(),
                                [x, *conv.parameters(), bn.weight, bn.bias])
    reference = bn(conv(x))
    ref_grads = torch.autograd.grad(
        reference.square().sum(), [x, *conv.parameters(), bn.weight,
                                   bn.bias])
    torch.testing.assert_close(folded, reference, rtol=1e-12, atol=1e-12)
    for g, r in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(g, r, rtol=1e-10, atol=1e-12)


def test_eval_mode_runs_one_convolution_and_no_batchnorm():
    conv, bn = make(False)
    bn.eval()
    calls = []
    bn.register_forward_hook(lambda *a: calls.append('bn'))
    conv.register_forward_hook(lambda *a: calls.append('conv'))
    conv_bn(conv, bn, torch.randn(1, 4, 8, 8, dtype=torch.float64))
    assert calls == []  # one F.conv2d with folded weights


def test_training_mode_uses_batch_statistics():
    conv, bn = make(True)
    twin_conv, twin_bn = make(True)
    x = torch.randn(3, 4, 8, 8, dtype=torch.float64)
    out = conv_bn(conv, bn, x)
    torch.testing.assert_close(out, twin_bn(twin_conv(x)))
    torch.testing.assert_close(bn.running_mean, twin_bn.running_mean)
    assert bn.num_batches_tracked == 1


def test_traced_graph_keeps_batch_norm_for_the_flop_counter():
    conv, bn = make(False)
    bn.eval()

    class Wrapper(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv, self.bn = conv, bn

        def forward(self, x):
            return conv_bn(self.conv, self.bn, x)

    graph = torch.jit.trace(Wrapper(),
                            torch.randn(1, 4, 8, 8,
                                        dtype=torch.float64)).inlined_graph
    kinds = {node.kind() for node in graph.nodes()}
    assert 'aten::batch_norm' in kinds
