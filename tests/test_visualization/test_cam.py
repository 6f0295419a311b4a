"""branch_cam, cls_token_attention and the pointing game, on a tiny model."""
import numpy as np
import pytest
import torch
from _helpers import SMALL_ARCH
from mmpretrain.registry import MODELS
from PIL import Image

from mmconformer.visualization import (branch_cam, cls_token_attention,
                                       find_image_mask_pairs,
                                       format_pointing_game, hit,
                                       pointing_game, pointing_game_figure,
                                       target_layer)

pytest.importorskip('pytorch_grad_cam')


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ConformerBackbone', arch=SMALL_ARCH,
                           base_channels=16, patch_size=16),
             head=dict(type='DualBranchClsHead', num_classes=4,
                       in_channels=[64, 32]),
             data_preprocessor=dict(type='ClsDataPreprocessor',
                                    mean=[123.675, 116.28, 103.53],
                                    std=[58.395, 57.12, 57.375],
                                    to_rgb=True)))
    model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def image():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (40, 56, 3), np.uint8)  # not square


@pytest.mark.parametrize('branch', ['conv', 'trans', 'both'])
@pytest.mark.parametrize('method', ['gradcam', 'gradcam++', 'eigencam'])
def test_map_at_the_image_resolution_in_unit_range(model, image, branch,
                                                   method):
    cam = branch_cam(model, image, branch, method, input_size=64)
    assert cam.shape == (40, 56) and cam.dtype == np.float32
    assert np.isfinite(cam).all() and cam.min() >= 0 and cam.max() <= 1
    if method == 'eigencam':  # GradCAM of a random model may be all ReLU'd
        assert cam.max() > 0.5 and cam.std() > 0.05


def test_both_is_the_rescaled_mean_of_the_branches(model, image):
    conv = branch_cam(model, image, 'conv', input_size=64)
    trans = branch_cam(model, image, 'trans', input_size=64)
    both = branch_cam(model, image, 'both', input_size=64)
    mean = (conv + trans) / 2
    expected = (mean - mean.min()) / (mean.max() - mean.min())
    np.testing.assert_allclose(both, expected, atol=1e-6)


def test_target_category_is_the_one_explained(model, image):
    maps = [branch_cam(model, image, 'conv', 'gradcam', c, input_size=64)
            for c in range(4)]
    assert any(not np.allclose(maps[0], m, atol=1e-3) for m in maps[1:])
    predicted = branch_cam(model, image, 'conv', 'gradcam', input_size=64)
    from mmconformer.visualization import prepare_input
    with torch.no_grad():
        x, _ = prepare_input(model, image, 64)
        label = int(sum(model(x, mode='tensor')).argmax())
    np.testing.assert_allclose(predicted, maps[label], atol=1e-6)


def test_path_input_mode_and_gradients_restored(model, image, tmp_path):
    path = tmp_path / 'x.png'
    Image.fromarray(image).save(path)
    model.train()
    try:
        cam = branch_cam(model, str(path), 'conv', input_size=64)
        assert model.training
    finally:
        model.eval()
    np.testing.assert_allclose(
        cam, branch_cam(model, image, 'conv', input_size=64), atol=1e-6)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(branch='cnn'), ValueError,
     r"branch must be one of \['conv', 'trans', 'both'\], got 'cnn'"),
    (dict(method='scorecam'), ValueError, "method must be one of .*'"
     'scorecam'),
    (dict(target_category=4), ValueError, r'in \[0, 4\), got 4'),
])
def test_bad_arguments(model, image, kwargs, error, match):
    with pytest.raises(error, match=match):
        branch_cam(model, image, **kwargs)


def test_target_layer_of_each_block(model):
    backbone = model.backbone  # 6 blocks
    # the default is the last block
    assert target_layer(model, 'conv') is backbone.conv_trans_6.fusion_block
    assert target_layer(model, 'trans') is \
        backbone.conv_trans_6.trans_block.ln1
    assert target_layer(model, 'conv', 1) is backbone.conv_1
    assert target_layer(model, 'trans', 1) is backbone.trans_1.ln1
    assert target_layer(model, 'conv', 3) is \
        backbone.conv_trans_3.fusion_block
    assert target_layer(model, 'trans', -2) is \
        backbone.conv_trans_5.trans_block.ln1
    for block in (0, 7, -7, 2.0, '2', True):
        with pytest.raises(ValueError, match='block must be in 1..6'):
            target_layer(model, 'conv', block)
    with pytest.raises(ValueError, match="branch must be one of"):
        target_layer(model, 'both')


def test_target_block_is_the_block_explained(model, image):
    """Block 2's CNN map has stride 4 (a 16 x 23 grid for the 64 x 90
    input), the last block's stride 32 (2 x 3). At the image resolution
    each map is bilinear, so along a row it is piecewise linear with a
    bend at each cell: block 2's row bends far more often."""
    last = branch_cam(model, image, 'conv', 'eigencam', input_size=64)
    second = branch_cam(model, image, 'conv', 'eigencam', input_size=64,
                        target_block=2)
    assert np.array_equal(last, branch_cam(
        model, image, 'conv', 'eigencam', input_size=64, target_block=6))
    assert not np.allclose(last, second, atol=1e-2)

    def bends(cam):
        row = cam[cam.shape[0] // 2].astype(np.float64)
        return int((np.abs(np.diff(row, 2)) > 1e-4).sum())

    assert bends(second) > 3 * max(bends(last), 1)
    with pytest.raises(ValueError, match='block must be in 1..6'):
        branch_cam(model, image, 'both', target_block=9)


def test_bad_images(model):
    with pytest.raises(TypeError, match='H x W x 3 uint8 RGB'):
        branch_cam(model, np.zeros((8, 8), np.uint8))
    with pytest.raises(FileNotFoundError, match='image not found'):
        branch_cam(model, 'missing.png')


def test_cls_attention_reproduces_the_class_tokens_output(model, image):
    """The returned weights, with the class token's weight on itself
    (1 - their sum), rebuild the attention layer's actual output for the
    class token from the values it computed."""
    attn = model.backbone.conv_trans_6.trans_block.attn
    captured = {}
    handle = attn.register_forward_hook(
        lambda m, args, out: captured.update(x=args[0], out=out))
    weights = cls_token_attention(model, image, block=-1, input_size=64)
    handle.remove()
    heads, h, w = weights.shape
    assert (heads, h, w) == (4, 4, 6)  # 64 x 90 input, patch 16
    assert (weights > 0).all() and (weights.sum((1, 2)) < 1).all()
    x = captured['x'][:1]
    qkv = attn.qkv(x).reshape(1, x.shape[1], 3, heads, attn.head_dims)
    v = qkv.permute(2, 0, 3, 1, 4)[2][0]  # heads x tokens x dims
    patches = torch.from_numpy(weights.reshape(heads, -1))
    self_weight = 1 - patches.sum(-1, keepdim=True)
    rows = torch.cat([self_weight, patches], dim=1)  # heads x tokens
    head_out = torch.einsum('ht,htd->hd', rows, v.detach())
    rebuilt = attn.proj(head_out.reshape(1, -1))
    torch.testing.assert_close(rebuilt[0], captured['out'][0, 0],
                               rtol=1e-4, atol=1e-5)


def test_cls_attention_block_range(model, image):
    assert cls_token_attention(model, image, block=1).shape[0] == 4
    with pytest.raises(ValueError, match='block must be in 1..6'):
        cls_token_attention(model, image, block=7)


def test_hit_uses_the_maximum_and_splits_ties():
    mask = np.zeros((4, 4), bool)
    mask[1:3, 1:3] = True
    cam = np.zeros((4, 4))
    cam[2, 2] = 1
    assert hit(cam, mask)
    cam[0, 0] = 1  # a tie, one of two on the mask: not more than half
    assert not hit(cam, mask)
    cam[1, 1] = 1  # two of three
    assert hit(cam, mask)
    with pytest.raises(ValueError, match='differ'):
        hit(np.zeros((2, 2)), mask)


def test_pointing_game_counts_and_chance(model, tmp_path):
    rng = np.random.default_rng(1)
    for name in ('a', 'b'):
        (tmp_path / 'val' / name).mkdir(parents=True)
        (tmp_path / 'masks' / 'val' / name).mkdir(parents=True)
        Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(
            tmp_path / 'val' / name / '0.png')
        mask = np.zeros((32, 32), np.uint8)
        mask[:, :8 if name == 'a' else 24] = 255
        Image.fromarray(mask).save(tmp_path / 'masks' / 'val' / name /
                                   '0.png')
    pairs = find_image_mask_pairs(str(tmp_path))
    result = pointing_game(model, pairs, ['eigencam'], input_size=64)
    assert result['images'] == 2
    assert result['chance'] == pytest.approx((8 + 24) / 64)
    assert result['centre'] == 0.5  # only b's mask covers (16, 16)
    assert set(result['hit_rate']) == {'conv/eigencam', 'trans/eigencam',
                                       'both/eigencam'}
    assert all(r in (0, 0.5, 1) for r in result['hit_rate'].values())
    # one image per class: each class's rate is that image's hit (0 or 1),
    # and the two classes average to the overall rate
    per_class = result['hit_rate_per_class']
    assert set(per_class) == {'a', 'b'}
    for key, rate in result['hit_rate'].items():
        assert {per_class['a'][key], per_class['b'][key]} <= {0.0, 1.0}
        assert (per_class['a'][key] + per_class['b'][key]) / 2 == rate
    fig = pointing_game_figure(model, pairs, input_size=64)
    # a row of images and one per branch, a column per class
    assert len(fig.axes) == 3 * 2
    assert [ax.get_title() for ax in fig.axes[:2]] == ['a', 'b']
    import matplotlib.pyplot as plt
    plt.close(fig)
    with pytest.raises(ValueError, match='block must be in 1..6'):
        pointing_game(model, pairs, ['eigencam'], target_block=0)
    (tmp_path / 'masks' / 'val' / 'b' / '0.png').unlink()
    with pytest.raises(FileNotFoundError, match='--masks'):
        find_image_mask_pairs(str(tmp_path))


def test_format_pointing_game():
    result = dict(images=300, chance=0.1049, centre=0.3561,
                  hit_rate={'conv/gradcam': 0.9, 'trans/gradcam': 0.5,
                            'both/gradcam': 0.125, 'conv/eigencam': 0.0,
                            'trans/eigencam': 1.0, 'both/eigencam': 0.3333})
    assert format_pointing_game(result, 'train').splitlines() == [
        'Pointing game on 300 train images (chance: 10.5%, always the '
        'centre: 35.6%)',
        'branch      gradcam   eigencam',
        'conv          90.0%       0.0%',
        'trans         50.0%     100.0%',
        'both          12.5%      33.3%',
    ]
