"""Every conv and BatchNorm runs as a module (hooks fire); folding them is
the explicit transform fuse_conv_bn, the same function in float64."""
import pytest
import torch
import torch.nn as nn
from _helpers import SMALL_ARCH, randomize_batchnorm
from mmpretrain.registry import MODELS

from mmconformer.models import ConformerBackbone, fuse_conv_bn


def classifier(**backbone):
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ConformerBackbone', arch=SMALL_ARCH,
                           base_channels=16, patch_size=32, **backbone),
             head=dict(type='DualBranchClsHead', num_classes=5,
                       in_channels=[64, 32])))
    model.init_weights()
    randomize_batchnorm(model)
    return model


@pytest.mark.parametrize('training', [False, True])
def test_every_conv_and_batchnorm_hook_fires(training):
    backbone = ConformerBackbone(arch=SMALL_ARCH, base_channels=16,
                                 patch_size=32).train(training)
    called = {}
    watched = {
        name: module for name, module in backbone.named_modules()
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d))
    }
    for name, module in watched.items():
        module.register_forward_hook(
            lambda m, args, out, name=name: called.__setitem__(name, True))
    backbone(torch.randn(2, 3, 64, 64))
    assert len(watched) > 40  # stem, 5 bottleneck pairs, FCUs, per block
    assert sorted(called) == sorted(watched)


def test_fused_classifier_equals_the_unfused_in_float64():
    model = classifier().double().eval()
    fused = fuse_conv_bn(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    # the original is left as it was: stem 1, conv_1 3 + residual, blocks
    # 2-6 with 3 + 3 + FCUUp each, residual convs in blocks 3, 5 and the
    # last fusion: 1 + 4 + 5 * 7 + 3 = 43
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 43
    x = torch.randn(3, 3, 80, 112, dtype=torch.float64)
    with torch.no_grad():
        expected = torch.cat(model(x, mode='tensor'), dim=1)
        got = torch.cat(fused(x, mode='tensor'), dim=1)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_fuse_in_place_is_idempotent_and_keeps_the_layout():
    model = classifier().eval()
    same = fuse_conv_bn(model, inplace=True)
    assert same is model
    again = fuse_conv_bn(model, inplace=True)
    conv = again.backbone.conv_trans_2.cnn_block.conv2
    assert conv.bias is not None
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert isinstance(again.backbone.conv_trans_2.cnn_block.bn2, nn.Identity)
