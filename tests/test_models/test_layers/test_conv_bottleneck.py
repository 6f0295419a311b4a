"""ConvBottleneck adds its residual in place and stays differentiable."""
import pytest
import torch
import torch.nn.functional as F

from mmconformer.models.layers import ConvBottleneck


def reference(block, x, fusion=None):
    """The bottleneck written out of place, op by op."""
    out = F.relu(block.bn1(block.conv1(x)))
    if fusion is not None:
        out = out + fusion
    out = block.bn3(block.conv3(F.relu(block.bn2(block.conv2(out)))))
    identity = block.residual_bn(block.residual_conv(x)) \
        if block.with_residual_conv else x
    return F.relu(out + identity)


def test_the_residual_is_added_into_the_last_bn_output():
    """No new block-sized tensor for the sum: it is written into bn3's
    output, as mmpretrain's bottleneck does."""
    block = ConvBottleneck(16, 16).eval()
    seen = []
    block.bn3.register_forward_hook(lambda m, args, out: seen.append(out))
    with torch.no_grad():
        out = block(torch.randn(2, 16, 8, 8))
    assert out.data_ptr() == seen[0].data_ptr()


@pytest.mark.parametrize('with_residual_conv', [False, True])
def test_same_output_and_gradients_as_out_of_place(with_residual_conv):
    torch.manual_seed(0)
    block = ConvBottleneck(8, 32 if with_residual_conv else 8, stride=1,
                           with_residual_conv=with_residual_conv).double()
    block.train()
    x = torch.randn(2, 8, 6, 6, dtype=torch.float64, requires_grad=True)
    fusion = torch.randn(2, block.conv1.out_channels, 6, 6,
                         dtype=torch.float64, requires_grad=True)
    out, mid = block(x, fusion, return_mid=True)
    grads = torch.autograd.grad(out.square().sum(), [x, fusion])
    expected = reference(block, x, fusion)
    expected_grads = torch.autograd.grad(expected.square().sum(), [x, fusion])
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    assert mid.shape[1] == block.conv2.out_channels
