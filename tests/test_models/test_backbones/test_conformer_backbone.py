import math

import pytest
import torch
from _helpers import SMALL_ARCH, TINY_ARCH, randomize_batchnorm
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from mmconformer import ConformerBackbone


def build(**kwargs):
    kwargs.setdefault('arch', TINY_ARCH)
    kwargs.setdefault('base_channels', 16)
    return ConformerBackbone(**kwargs)


def test_registered_in_mmpretrain_without_touching_its_models():
    from mmpretrain.models.backbones import Conformer
    from mmpretrain.models.heads import ConformerHead
    assert MODELS.get('ConformerBackbone') is ConformerBackbone
    assert MODELS.get('Conformer') is Conformer
    assert MODELS.get('ConformerHead') is ConformerHead


@pytest.mark.parametrize('arch,expected', [
    ('tiny', (384, 1, 6)), ('t', (384, 1, 6)), ('small', (384, 4, 6)),
    ('S', (384, 4, 6)), ('base', (576, 6, 9)), ('b', (576, 6, 9))
])
def test_arch_names_and_aliases(arch, expected):
    with torch.device('meta'):
        model = ConformerBackbone(arch=arch)
    assert (model.embed_dims, model.channel_ratio,
            model.num_heads) == expected
    assert model.depth == 12
    assert model.conv_trans_12.trans_block.attn.num_heads == expected[2]
    assert model.conv_1.conv3.out_channels == 64 * expected[1]


def test_custom_arch_builds_table_driven_stages():
    model = build(arch=SMALL_ARCH)
    assert model.block_names == [f'conv_trans_{i}' for i in range(2, 7)]
    # stage 1: block 2; stage 2: blocks 3-4; stage 3: blocks 5-6.
    assert model.conv_trans_3.cnn_block.conv2.stride == (2, 2)
    assert model.conv_trans_3.cnn_block.with_residual_conv
    assert model.conv_trans_4.cnn_block.conv2.stride == (1, 1)
    assert model.conv_trans_5.cnn_block.conv2.stride == (2, 2)
    assert model.conv_trans_6.fusion_block.conv2.stride == (2, 2)
    assert model.conv_trans_5.fusion_block.conv2.stride == (1, 1)
    assert [model.conv_trans_2.fcu_stride, model.conv_trans_3.fcu_stride,
            model.conv_trans_6.fcu_stride] == [4, 2, 1]
    assert model.conv_trans_6.cnn_block.conv3.out_channels == 64


@pytest.mark.parametrize('with_cls_token', [True, False])
def test_custom_arch_with_and_without_cls_token(with_cls_token):
    model = build(with_cls_token=with_cls_token).eval()
    assert hasattr(model, 'cls_token') == with_cls_token
    out = model(torch.randn(2, 3, 64, 64))
    assert isinstance(out, tuple) and len(out) == 1
    conv, trans = out[0]
    assert conv.shape == (2, 64) and trans.shape == (2, 32)
    # The trans feature is the normed class token, or the normed mean token.
    feats = {}
    model.conv_trans_3.register_forward_hook(
        lambda m, i, o: feats.update(x_t=o[1]))
    inp = torch.randn(2, 3, 64, 64)
    _, trans = model(inp)[0]
    x_t = model.trans_norm(feats['x_t'])
    expected = x_t[:, 0] if with_cls_token else x_t.mean(1)
    torch.testing.assert_close(trans, expected)


@pytest.mark.parametrize('patch_size,tokens', [(16, 16), (32, 4), (48, 4)])
def test_patch_size(patch_size, tokens):
    model = build(patch_size=patch_size).eval()
    assert model.trans_patch_conv.kernel_size == (patch_size // 4, ) * 2
    seen = {}
    model.trans_1.register_forward_hook(
        lambda m, i, o: seen.update(n=o.shape[1]))
    model(torch.randn(1, 3, 64, 64))
    assert seen['n'] == tokens + 1


@pytest.mark.parametrize('bad', [0, 8, 24, -16, 16.0, '16'])
def test_patch_size_rejects_non_multiples_of_16(bad):
    with pytest.raises((ValueError, TypeError), match='patch_size'):
        build(patch_size=bad)


def test_base_channels_sets_stage_widths():
    model = build(base_channels=8).eval()
    assert model.stage_channels == (8, 16, 32)
    assert model.conv_1.conv3.out_channels == 8
    assert model(torch.randn(1, 3, 32, 32))[0][0].shape == (1, 32)


def test_mlp_ratio_sets_ffn_width():
    model = build(mlp_ratio=2.5)
    assert model.trans_1.ffn.layers[0][0].out_features == 80
    assert model.conv_trans_3.trans_block.ffn.layers[1].in_features == 80


def test_qkv_bias():
    assert build(qkv_bias=True).trans_1.attn.qkv.bias is not None
    model = build(qkv_bias=False)
    assert model.trans_1.attn.qkv.bias is None
    assert model.conv_trans_2.trans_block.attn.qkv.bias is None
    assert 'trans_1.attn.qkv.bias' not in model.state_dict()


def test_drop_path_rate_linear_rule_and_training_noise():
    model = build(arch=SMALL_ARCH, drop_path_rate=0.5)
    rates = [0.0] + [
        getattr(model, name).trans_block.drop_path.drop_prob
        for name in model.block_names
    ]
    assert rates == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert isinstance(model.trans_1.drop_path, torch.nn.Identity)
    assert model.conv_trans_6.fusion_block.drop_path.drop_prob == \
        pytest.approx(0.5)
    x = torch.randn(4, 3, 32, 32)
    model.train()
    a, b = model(x)[0][1], model(x)[0][1]
    assert not torch.allclose(a, b)  # stochastic depth in training
    model.eval()
    torch.testing.assert_close(model(x)[0][1], model(x)[0][1])
    no_drop = build(arch=SMALL_ARCH, drop_path_rate=0.0)
    assert all(
        isinstance(getattr(no_drop, n).trans_block.drop_path,
                   torch.nn.Identity) for n in no_drop.block_names)


@pytest.mark.parametrize('bad', [-0.1, 1.0, 1.5])
def test_drop_path_rate_range(bad):
    with pytest.raises(ValueError, match='drop_path_rate'):
        build(drop_path_rate=bad)


def test_out_indices_multiple_negative_and_not_mutated():
    indices = [-1, 2, 4]
    model = build(arch=SMALL_ARCH, out_indices=indices).eval()
    assert indices == [-1, 2, 4]
    assert model.out_indices == (2, 4, 6)
    out = model(torch.randn(1, 3, 64, 64))
    assert len(out) == 3
    assert [o[0].shape[1] for o in out] == [16, 32, 64]
    # The last output is the same as the default (-1) model's output.
    default = build(arch=SMALL_ARCH).eval()
    default.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 64, 64)
    torch.testing.assert_close(model(x)[-1][1], default(x)[0][1])
    assert build(arch=SMALL_ARCH, out_indices=3).out_indices == (3, )


@pytest.mark.parametrize('bad,exc', [([1], ValueError), ([7], ValueError),
                                     ([-6], ValueError), ([2, -5], ValueError),
                                     ([], ValueError), ('2', TypeError),
                                     ([2.0], TypeError)])
def test_out_indices_errors(bad, exc):
    with pytest.raises(exc, match='out_indices'):
        build(arch=SMALL_ARCH, out_indices=bad)


@pytest.mark.parametrize('size', [(241, 241), (321, 221), (33, 47), (64, 64)])
@pytest.mark.parametrize('patch_size', [16, 32])
def test_irregular_input_sizes(size, patch_size):
    model = build(patch_size=patch_size, out_type='featmap',
                  featmap_branches='both', out_indices=[2, 3]).eval()
    h, w = size
    gh, gw = math.ceil(h / patch_size), math.ceil(w / patch_size)
    (conv2, trans2), (conv3, trans3) = model(torch.randn(1, 3, h, w))
    assert trans2.shape == trans3.shape == (1, 32, gh, gw)
    # stage 2 map: token grid * p/8; last block: ceil(stage-3 map / 2)
    assert conv2.shape[-2:] == (gh * patch_size // 8, gw * patch_size // 8)
    assert conv3.shape[-2:] == (math.ceil(gh * patch_size / 32),
                                math.ceil(gw * patch_size / 32))


def test_out_type_and_featmap_branches():
    kwargs = dict(arch=SMALL_ARCH, out_indices=[2, 4, 5, 6])
    x = torch.randn(2, 3, 64, 96)
    cls = build(**kwargs).eval()
    source = cls.state_dict()

    def dense(branches):
        model = build(out_type='featmap', featmap_branches=branches, **kwargs)
        result = model.load_state_dict(source, strict=False)
        assert result.missing_keys == []
        assert sorted(result.unexpected_keys) == [
            'trans_norm.bias', 'trans_norm.weight'
        ]
        return model.eval()

    maps = dense('conv')(x)
    assert [m.shape for m in maps] == [(2, 16, 16, 24), (2, 32, 8, 12),
                                       (2, 64, 4, 6), (2, 64, 2, 3)]
    tmaps = dense('trans')(x)
    assert all(m.shape == (2, 32, 4, 6) for m in tmaps)
    pairs = dense('both')(x)
    for (c, t), c_ref, t_ref in zip(pairs, maps, tmaps):
        torch.testing.assert_close(c, c_ref)
        torch.testing.assert_close(t, t_ref)
    pooled = cls(x)
    for (c, _), c_map in zip(pooled, maps):
        torch.testing.assert_close(c, c_map.mean((2, 3)))
    with pytest.raises(ValueError, match="out_type"):
        build(out_type='feature')
    with pytest.raises(ValueError, match="featmap_branches"):
        build(featmap_branches='cnn')


@pytest.mark.parametrize('branches', ['conv', 'both'])
def test_dense_mode_has_no_unused_parameters(branches):
    """Every built parameter gets a gradient: DDP can run with
    find_unused_parameters=False."""
    model = build(arch=SMALL_ARCH, out_type='featmap',
                  featmap_branches=branches, out_indices=[2, 4])
    assert model.block_names == ['conv_trans_2', 'conv_trans_3',
                                 'conv_trans_4']
    assert model.trans_norm is None
    outs = model(torch.randn(2, 3, 64, 64))
    flat = [t for o in outs for t in (o if isinstance(o, tuple) else (o, ))]
    sum(t.square().mean() for t in flat).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    # Classification mode keeps every block, as mmpretrain does.
    assert len(build(arch=SMALL_ARCH, out_indices=[2]).block_names) == 5


def test_trans_featmap_is_the_token_grid():
    model = build(out_type='featmap', featmap_branches='trans').eval()
    seen = {}
    model.conv_trans_3.register_forward_hook(
        lambda m, i, o: seen.update(x_t=o[1]))
    (tmap, ) = model(torch.randn(1, 3, 64, 32))
    tokens = seen['x_t'][:, 1:]
    torch.testing.assert_close(tmap.flatten(2).transpose(1, 2), tokens)


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize('frozen_stages', [-1, 0, 1, 2, 3])
def test_frozen_stages(frozen_stages):
    model = build(arch=SMALL_ARCH, frozen_stages=frozen_stages)
    model.train()
    stage_prefixes = {
        0: ('conv1.', 'bn1.'),
        1: ('conv_1.', 'trans_patch_conv.', 'trans_1.', 'cls_token',
            'conv_trans_2.'),
        2: ('conv_trans_3.', 'conv_trans_4.'),
        3: ('conv_trans_5.', 'conv_trans_6.'),
    }
    frozen = tuple(p for s in range(frozen_stages + 1)
                   for p in stage_prefixes[s])
    for name, param in model.named_parameters():
        assert param.requires_grad == (not name.startswith(frozen)), name
    for name, module in model.named_modules():
        if isinstance(module, _BatchNorm):
            in_frozen = (name + '.').startswith(frozen)
            assert module.training == (not in_frozen), name
    # Frozen parameters get no gradient; the others do.
    out = model(torch.randn(2, 3, 32, 32))
    (out[0][0].sum() + out[0][1].sum()).backward()
    for name, param in model.named_parameters():
        if name.startswith(frozen):
            assert param.grad is None, name
    assert model.trans_norm.weight.grad is not None
    # Frozen BN running stats do not move in training.
    if frozen_stages >= 0:
        before = model.bn1.running_mean.clone()
        model(torch.randn(2, 3, 32, 32))
        torch.testing.assert_close(model.bn1.running_mean, before)


@pytest.mark.parametrize('bad', [-2, 4, 1.0])
def test_frozen_stages_range(bad):
    with pytest.raises((ValueError, TypeError), match='frozen_stages'):
        build(frozen_stages=bad)


def test_norm_eval_keeps_bn_in_eval_but_affine_trains():
    model = build(norm_eval=True)
    model.train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    assert model.training
    before = model.conv_trans_2.cnn_block.bn1.running_mean.clone()
    out = model(torch.randn(2, 3, 32, 32))
    torch.testing.assert_close(model.conv_trans_2.cnn_block.bn1.running_mean,
                               before)
    out[0][0].sum().backward()
    assert model.conv_trans_2.cnn_block.bn1.weight.grad is not None
    # Without norm_eval the running stats move.
    plain = build(norm_eval=False).train()
    before = plain.conv_trans_2.cnn_block.bn1.running_mean.clone()
    plain(torch.randn(2, 3, 32, 32))
    assert not torch.allclose(plain.conv_trans_2.cnn_block.bn1.running_mean,
                              before)


def test_with_cp_same_outputs_and_grads_float64():
    ref = build(arch=SMALL_ARCH, drop_path_rate=0.2).double()
    ckpt = build(arch=SMALL_ARCH, drop_path_rate=0.2, with_cp=True).double()
    ckpt.load_state_dict(ref.state_dict())
    used = []
    orig = torch.utils.checkpoint.checkpoint

    def spy(*args, **kwargs):
        used.append(1)
        return orig(*args, **kwargs)

    x = torch.randn(2, 3, 48, 48, dtype=torch.float64)
    outs = []
    for model in (ref, ckpt):
        model.train()
        torch.manual_seed(3)
        if model is ckpt:
            torch.utils.checkpoint.checkpoint = spy
        try:
            out = model(x)[0]
        finally:
            torch.utils.checkpoint.checkpoint = orig
        (out[0].square().sum() + out[1].sum()).backward()
        outs.append(out)
    assert len(used) == 5  # every block
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)
    for (name, p_ref), p_cp in zip(ref.named_parameters(),
                                   ckpt.parameters()):
        torch.testing.assert_close(p_ref.grad, p_cp.grad, rtol=0, atol=0,
                                   msg=name)
    ckpt.set_grad_checkpointing(False)
    assert ckpt.with_cp is False


def test_init_weights_default_rules():
    model = build()
    model.init_weights()
    assert torch.count_nonzero(model.conv_trans_2.cnn_block.bn3.weight) == 0
    assert torch.all(model.conv_trans_2.cnn_block.bn1.weight == 1)
    assert torch.all(model.trans_norm.weight == 1)
    assert torch.all(model.trans_1.attn.qkv.bias == 0)
    assert 0.015 < model.trans_1.attn.qkv.weight.std() < 0.025
    assert model.cls_token.std() > 0


def test_init_cfg_pretrained_loads_and_skips_default_init(tmp_path):
    src = build()
    randomize_batchnorm(src)
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in src.state_dict().items()}}, path)
    model = build(init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    model.init_weights()
    for key, value in src.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)


@pytest.mark.parametrize('arch,match', [
    ('huge', 'arch'), (['tiny'], 'arch'),
    (dict(embed_dims=32, depths=3, num_heads=2), 'channel_ratio'),
    (dict(TINY_ARCH, extra=1), 'extra'),
    (dict(TINY_ARCH, depths=4), 'multiple of 3'),
    (dict(TINY_ARCH, depths=0), 'depths'),
    (dict(TINY_ARCH, num_heads=3), 'divisible'),
    (dict(TINY_ARCH, embed_dims=-32), 'embed_dims'),
    (dict(TINY_ARCH, channel_ratio=0), 'channel_ratio'),
])
def test_arch_errors(arch, match):
    with pytest.raises((KeyError, ValueError, TypeError), match=match):
        ConformerBackbone(arch=arch)


@pytest.mark.parametrize('bad,match', [
    (torch.randn(3, 32, 32), '4-D'),
    (torch.randn(1, 1, 32, 32), '3 input channels'),
    (torch.zeros(1, 3, 32, 32, dtype=torch.uint8), 'floating'),
])
def test_forward_input_errors(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        build()(bad)


def test_tracing_warns_nothing_from_our_input_checks():
    """mmdeploy traces the classifier with TorchScript: the input checks of
    the backbone and the head must not turn a traced shape into a Python
    bool (a TracerWarning per check), and still run eagerly."""
    import os.path as osp
    import warnings

    import mmconformer
    package = osp.dirname(mmconformer.__file__) + osp.sep
    backbone = build().eval()
    head = MODELS.build(dict(type='DualBranchClsHead', num_classes=3,
                             in_channels=[4 * 16, TINY_ARCH['embed_dims']]))

    class Classify(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone, self.head = backbone, head

        def forward(self, x):
            return self.head(self.backbone(x))

    classify = Classify().eval()

    x = torch.randn(1, 3, 32, 32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        traced = torch.jit.trace(classify, x, check_trace=False)
    ours = [f'{w.filename}:{w.lineno}: {w.message}' for w in caught
            if issubclass(w.category, torch.jit.TracerWarning)
            and w.filename.startswith(package)]
    assert not ours, ours
    torch.testing.assert_close(traced(x), classify(x))
    with pytest.raises(ValueError, match='3 input channels'):
        classify(torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match='in_channels expects width'):
        head(((torch.randn(1, 5), torch.randn(1, TINY_ARCH['embed_dims'])), ))


def test_mlp_ratio_must_be_positive():
    with pytest.raises(ValueError, match='mlp_ratio'):
        build(mlp_ratio=0)


@pytest.mark.parametrize('name', ['qkv_bias', 'with_cls_token', 'norm_eval',
                                  'with_cp'])
def test_flags_must_be_bools(name):
    with pytest.raises(TypeError, match=name):
        build(**{name: 'yes'})


@pytest.mark.parametrize('bad', [0, 2, -1.5])
def test_base_channels_errors(bad):
    with pytest.raises((ValueError, TypeError), match='base_channels'):
        build(base_channels=bad)


def test_nan_input_propagates_per_sample_in_eval():
    model = build().eval()
    x = torch.randn(3, 3, 48, 48)
    x[1, 0, 5, 5] = float('nan')
    x[2, 2, 0, 0] = float('inf')
    with torch.no_grad():
        conv, trans = model(x)[0]
    assert torch.isfinite(conv[0]).all() and torch.isfinite(trans[0]).all()
    assert torch.isnan(conv[1]).any() and torch.isnan(trans[1]).any()
    assert not torch.isfinite(trans[2]).all()


def test_smallest_inputs_run_in_eval():
    model = build(out_type='featmap', featmap_branches='both').eval()
    with torch.no_grad():
        for size in [(1, 1), (1, 37), (15, 2)]:
            ((conv, trans), ) = model(torch.randn(1, 3, *size))
            grid = tuple(-(-s // 16) for s in size)
            assert trans.shape[-2:] == grid
            assert conv.shape[-2:] == tuple(-(-g // 2) for g in grid)


def test_channels_last_layout_same_values():
    fast = build(arch=SMALL_ARCH, out_type='featmap', out_indices=[2, 6])
    plain = build(arch=SMALL_ARCH, out_type='featmap', out_indices=[2, 6],
                  channels_last=False)
    plain.load_state_dict(fast.state_dict())
    assert fast.conv_trans_2.cnn_block.conv2.weight.is_contiguous(
        memory_format=torch.channels_last)
    assert plain.conv_trans_2.cnn_block.conv2.weight.is_contiguous()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    fast.double().eval()
    plain.double().eval()
    with torch.no_grad():
        for a, b in zip(fast(x), plain(x)):
            assert a.is_contiguous(memory_format=torch.channels_last)
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_training_mode_too_small_input_has_a_clear_error():
    model = build().train()
    with pytest.raises(ValueError, match='BatchNorm needs more than one'):
        model(torch.randn(1, 3, 16, 16))
    model(torch.randn(2, 3, 16, 16))  # a batch of 2 is enough
    model(torch.randn(1, 3, 48, 16))  # or a larger input
    build(norm_eval=True).train()(torch.randn(1, 3, 16, 16))


@pytest.mark.parametrize('size', [(800, 1344), (1344, 800), (800, 1333),
                                  (1333, 800)])
def test_detection_sizes(size):
    """1344x800 (already a multiple of 32) and 800x1333 (padded inside)."""
    model = build(out_type='featmap', patch_size=32, base_channels=4,
                  arch=dict(TINY_ARCH, depths=6),
                  out_indices=[2, 4, 5, 6]).eval()
    h, w = size
    with torch.no_grad():
        maps = model(torch.randn(1, 3, h, w))
    gh, gw = math.ceil(h / 32), math.ceil(w / 32)
    expected = [(gh * 8, gw * 8), (gh * 4, gw * 4), (gh * 2, gw * 2),
                (gh, gw)]
    assert [tuple(m.shape[-2:]) for m in maps] == expected
    if h % 32 == 0 and w % 32 == 0:
        assert expected == [(h // s, w // s) for s in (4, 8, 16, 32)]
