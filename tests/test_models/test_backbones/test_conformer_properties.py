"""Hypothesis properties of ConformerBackbone over many input sizes."""
import math

import torch
from _helpers import TINY_ARCH, randomize_batchnorm
from hypothesis import given, settings
from hypothesis import strategies as st

from mmconformer import ConformerBackbone

MODELS = {}


def model(out_type, with_cls_token, patch_size, branches='both'):
    key = (out_type, with_cls_token, patch_size, branches)
    if key not in MODELS:
        torch.manual_seed(0)
        m = ConformerBackbone(
            arch=TINY_ARCH, base_channels=8, patch_size=patch_size,
            with_cls_token=with_cls_token, out_type=out_type,
            featmap_branches=branches, out_indices=[2, 3])
        m.init_weights()
        randomize_batchnorm(m)
        MODELS[key] = m.double().eval()
    return MODELS[key]


def expected_conv_hw(h, w, patch_size):
    """The documented formula (ConformerBackbone docstring)."""
    gh, gw = math.ceil(h / patch_size), math.ceil(w / patch_size)
    stage2 = (gh * patch_size // 8, gw * patch_size // 8)
    last = (math.ceil(gh * patch_size / 32), math.ceil(gw * patch_size / 32))
    return (gh, gw), stage2, last


sizes = st.integers(min_value=32, max_value=512)


@settings(max_examples=25, deadline=None)
@given(h=sizes, w=sizes, with_cls_token=st.booleans(),
       out_type=st.sampled_from(['cls_token', 'featmap']),
       patch_size=st.sampled_from([16, 32]))
def test_output_shapes_follow_the_formula(h, w, with_cls_token, out_type,
                                          patch_size):
    m = model(out_type, with_cls_token, patch_size)
    with torch.no_grad():
        outs = m(torch.randn(1, 3, h, w, dtype=torch.float64))
    assert isinstance(outs, tuple) and len(outs) == 2
    grid, stage2, last = expected_conv_hw(h, w, patch_size)
    if out_type == 'cls_token':
        for (conv, trans), channels in zip(outs, (16, 32)):
            assert conv.shape == (1, channels) and trans.shape == (1, 32)
            assert torch.isfinite(conv).all() and torch.isfinite(trans).all()
    else:
        (conv2, trans2), (conv3, trans3) = outs
        assert conv2.shape == (1, 16) + stage2
        assert conv3.shape == (1, 32) + last
        assert trans2.shape == trans3.shape == (1, 32) + grid


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 16).map(lambda k: 32 * k),
       w=st.integers(1, 16).map(lambda k: 32 * k),
       patch_size=st.sampled_from([16, 32]))
def test_featmap_strides_are_exact(h, w, patch_size):
    m = ConformerBackbone(arch=dict(TINY_ARCH, depths=6), base_channels=8,
                          patch_size=patch_size, out_type='featmap',
                          out_indices=[2, 4, 5, 6]).eval()
    with torch.no_grad():
        maps = m(torch.randn(1, 3, h, w))
    strides = [(h // f.shape[2], w // f.shape[3]) for f in maps]
    assert strides == [(4, 4), (8, 8), (16, 16), (32, 32)]
    assert all(h % f.shape[2] == 0 and w % f.shape[3] == 0 for f in maps)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 4), h=st.integers(32, 96), w=st.integers(32, 96),
       out_type=st.sampled_from(['cls_token', 'featmap']),
       with_cls_token=st.booleans())
def test_batch_equals_single_samples(n, h, w, out_type, with_cls_token):
    m = model(out_type, with_cls_token, 16)
    x = torch.randn(n, 3, h, w, dtype=torch.float64)
    with torch.no_grad():
        batched = m(x)
        singles = [m(x[i:i + 1]) for i in range(n)]
    for index, out in enumerate(batched):
        for part, tensor in enumerate(out):
            stacked = torch.cat([s[index][part] for s in singles])
            torch.testing.assert_close(tensor, stacked, rtol=1e-10,
                                       atol=1e-12)
