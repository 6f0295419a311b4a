import pytest
import torch
from _helpers import TINY_ARCH

from mmconformer.models import ConformerBackbone, DualBranchConcatNeck


def pairs():
    gen = torch.Generator().manual_seed(0)
    return [
        # token map smaller than the CNN map (stride 16 vs 4), then equal
        (torch.randn(2, 5, 8, 12, generator=gen),
         torch.randn(2, 3, 2, 3, generator=gen)),
        (torch.randn(2, 7, 4, 6, generator=gen),
         torch.randn(2, 3, 4, 6, generator=gen)),
    ]


def test_conv_channels_first_then_the_resized_token_map():
    inputs = pairs()
    outs = DualBranchConcatNeck()(inputs)
    assert isinstance(outs, tuple) and len(outs) == 2
    assert outs[0].shape == (2, 8, 8, 12) and outs[1].shape == (2, 10, 4, 6)
    for out, (conv_map, trans_map) in zip(outs, inputs):
        assert torch.equal(out[:, :conv_map.shape[1]], conv_map)
    # same size: the token map is passed through untouched
    assert torch.equal(outs[1][:, 7:], inputs[1][1])
    # the bilinear upsampling keeps each token map's mean, within
    # interpolation error
    token_part = outs[0][:, 5:]
    assert torch.allclose(token_part.mean((2, 3)),
                          inputs[0][1].mean((2, 3)), atol=0.15)


def test_mode_is_used():
    conv_map = torch.zeros(1, 1, 4, 4)
    trans_map = torch.arange(4.).reshape(1, 1, 2, 2)
    nearest = DualBranchConcatNeck(mode='nearest')([(conv_map, trans_map)])
    expected = trans_map.repeat_interleave(2, 2).repeat_interleave(2, 3)
    assert torch.equal(nearest[0][:, 1:], expected)
    bilinear = DualBranchConcatNeck()([(conv_map, trans_map)])
    assert not torch.equal(bilinear[0][:, 1:], expected)


def test_align_corners_is_used():
    conv_map = torch.zeros(1, 1, 5, 5)
    trans_map = torch.tensor([[[[0., 1.], [2., 3.]]]])
    aligned = DualBranchConcatNeck(align_corners=True)(
        [(conv_map, trans_map)])[0][0, 1]
    # align_corners=True keeps the corner values and hits the mid-points
    assert aligned[0, 0] == 0 and aligned[-1, -1] == 3
    assert aligned[2, 2] == 1.5
    unaligned = DualBranchConcatNeck()([(conv_map, trans_map)])[0][0, 1]
    assert unaligned[0, 0] == 0 and unaligned[1, 1] > 0.25
    assert not torch.allclose(aligned, unaligned)


def test_feeds_on_the_backbone_both_branches():
    backbone = ConformerBackbone(arch=TINY_ARCH, out_type='featmap',
                                 featmap_branches='both', out_indices=[2, 3])
    backbone.eval()
    image = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        feats = backbone(image)
        outs = DualBranchConcatNeck()(feats)
    conv_channels = [f[0].shape[1] for f in feats]
    for out, (conv_map, trans_map), c in zip(outs, feats, conv_channels):
        assert out.shape == (1, c + TINY_ARCH['embed_dims'],
                             *conv_map.shape[-2:])
        assert torch.equal(out[:, :c], conv_map)


@pytest.mark.parametrize('bad, error, match', [
    (dict(mode='linear'), ValueError,
     r"mode must be one of .*'area'.*'linear'"),
    (dict(align_corners=1), TypeError, 'align_corners must be a bool'),
])
def test_bad_arguments_name_the_choices(bad, error, match):
    with pytest.raises(error, match=match):
        DualBranchConcatNeck(**bad)


def test_single_branch_maps_are_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"featmap_branches='both'.*item 0 "
                       r'is a Tensor'):
        DualBranchConcatNeck()((torch.zeros(1, 2, 4, 4), ))


def test_built_by_name_from_the_registry():
    from mmpretrain.registry import MODELS
    neck = MODELS.build(dict(type='DualBranchConcatNeck', mode='area'))
    assert isinstance(neck, DualBranchConcatNeck) and neck.mode == 'area'
