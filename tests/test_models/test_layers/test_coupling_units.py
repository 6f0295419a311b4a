"""FCUDown pools before its 1x1 conv; the result is the official order's."""
import pytest
import torch
import torch.nn.functional as F

from mmconformer.models.layers import FCUDown


def official_order(fcu, x, x_t):
    """The reference FCUDown: conv on the CNN map, then pool."""
    y = F.avg_pool2d(fcu.conv_project(x), fcu.down_stride, fcu.down_stride)
    y = fcu.act(fcu.ln(y.flatten(2).transpose(1, 2)))
    return torch.cat([x_t[:, :1], y], dim=1) if fcu.with_cls_token else y


@pytest.mark.parametrize('with_cls_token', [True, False])
@pytest.mark.parametrize('size,stride', [((16, 24), 4), ((15, 9), 2),
                                         ((7, 7), 1)])
def test_pool_first_equals_official_order(size, stride, with_cls_token):
    torch.manual_seed(0)
    fcu = FCUDown(6, 10, stride, with_cls_token).double()
    x = torch.randn(2, 6, *size, dtype=torch.float64)
    tokens = (size[0] // stride) * (size[1] // stride)
    x_t = torch.randn(2, tokens + with_cls_token, 10, dtype=torch.float64)
    out = fcu(x, x_t)
    assert out.shape == x_t.shape
    torch.testing.assert_close(out, official_order(fcu, x, x_t), rtol=1e-12,
                               atol=1e-12)


def test_conv_runs_on_the_token_grid():
    """The point of the reordering: the 1x1 conv sees the pooled map."""
    fcu = FCUDown(4, 8, 4)
    seen = []
    fcu.conv_project.register_forward_pre_hook(
        lambda m, args: seen.append(tuple(args[0].shape[2:])))
    fcu(torch.randn(1, 4, 32, 24), torch.randn(1, 1 + 8 * 6, 8))
    assert seen == [(8, 6)]
