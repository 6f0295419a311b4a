"""ONNX export of the classifier and of the dense backbone, checked by
onnxruntime against PyTorch."""
import numpy as np
import pytest
import torch
from _helpers import CONFIG_DIR, TINY_ARCH, randomize_batchnorm
from mmengine.config import Config

from mmconformer.apis import (OnnxExportWrapper, export_onnx,
                              load_classifier, verify_onnx)
from mmconformer.apis.onnx_export import onnx_session

onnx = pytest.importorskip('onnx')
ort = pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')

DEMO = f'{CONFIG_DIR}/demo/conformer-tiny-p16_1xb32_shapes.py'
NUM_CLASSES = 6


def tiny_config(**backbone) -> Config:
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone.update(arch=TINY_ARCH, drop_path_rate=0., **backbone)
    cfg.model.head.in_channels = [256, TINY_ARCH['embed_dims']]
    return cfg


def tiny_classifier(**backbone):
    model = load_classifier(tiny_config(**backbone))
    randomize_batchnorm(model)
    return model


def run_onnx(path, pixels: np.ndarray):
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return session.run(None, {'input': pixels})


def rgb_batch(n, h, w, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def reference_logits(model, rgb: np.ndarray) -> np.ndarray:
    """mmpretrain's own path: the data preprocessor gets what
    LoadImageFromFile gives (BGR, CHW uint8) and flips it to RGB."""
    bgr = [torch.from_numpy(img[..., ::-1].transpose(2, 0, 1).copy())
           for img in rgb]
    with torch.no_grad():
        data = model.data_preprocessor({'inputs': bgr}, False)
        conv, trans = model(data['inputs'], mode='tensor')
    return (conv + trans).numpy()


@pytest.fixture(scope='module')
def dynamic_export(tmp_path_factory):
    torch.manual_seed(0)
    model = tiny_classifier()
    path = str(tmp_path_factory.mktemp('onnx') / 'tiny.onnx')
    names = export_onnx(model, path, (224, 224), dynamic=True)
    return model, path, names


@pytest.mark.parametrize('batch', [1, 3])
@pytest.mark.parametrize('size', [(224, 224), (200, 260), (333, 517)])
def test_dynamic_export_matches_the_preprocessed_model(dynamic_export, batch,
                                                       size):
    """Pixels in, summed logits out: the normalisation is in the graph."""
    model, path, names = dynamic_export
    assert names == ['logits']
    rgb = rgb_batch(batch, *size)
    expected = reference_logits(model, rgb)
    (got, ) = run_onnx(path, rgb.transpose(0, 3, 1, 2).astype(np.float32))
    assert got.shape == (batch, NUM_CLASSES)
    rel = np.abs(got - expected).max() / np.abs(expected).max()
    assert rel < 1e-4, rel


def test_verify_reports_small_differences_at_each_shape(dynamic_export):
    model, path, _ = dynamic_export
    rows = verify_onnx(model, path, [(1, 224, 224), (3, 200, 260)])
    assert [r['shape'] for r in rows] == [(1, 3, 224, 224), (3, 3, 200, 260)]
    for row in rows:
        assert 0 < row['max_abs'] and row['max_rel'] < 1e-4


def test_verify_catches_a_model_that_differs(dynamic_export):
    model, path, _ = dynamic_export
    other = tiny_classifier()
    with torch.no_grad():
        other.head.conv_cls_head.bias.add_(1.0)
        other.load_state_dict(model.state_dict() | {
            'head.conv_cls_head.bias':
            model.head.conv_cls_head.bias + 1.0})
    (row, ) = verify_onnx(other, path, [(1, 64, 64)])
    assert row['max_abs'] == pytest.approx(1.0, rel=1e-3)


SPINNING = 'session.intra_op.allow_spinning'


def test_session_threads_spin_unless_told_not_to(dynamic_export):
    """onnxruntime's default (spinning threads) stays; ``spinning=False``
    puts them to sleep after each call, and either session still runs."""
    _, path, _ = dynamic_export
    pixels = rgb_batch(1, 64, 64).astype(np.float32).transpose(0, 3, 1, 2)
    default = onnx_session(path, threads=1)
    with pytest.raises(RuntimeError, match=SPINNING):  # not set: default
        default.get_session_options().get_session_config_entry(SPINNING)
    quiet = onnx_session(path, threads=1, spinning=False)
    options = quiet.get_session_options()
    assert options.get_session_config_entry(SPINNING) == '0'
    assert options.intra_op_num_threads == 1
    np.testing.assert_array_equal(
        default.run(None, {'input': pixels})[0],
        quiet.run(None, {'input': pixels})[0])


def test_static_export_fixes_every_axis(tmp_path):
    model = tiny_classifier()
    path = str(tmp_path / 'static.onnx')
    export_onnx(model, path, (96, 128), batch_size=2)
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 3, 96, 128]
    rgb = rgb_batch(2, 96, 128)
    (got, ) = run_onnx(path, rgb.transpose(0, 3, 1, 2).astype(np.float32))
    expected = reference_logits(model, rgb)
    assert np.abs(got - expected).max() / np.abs(expected).max() < 1e-4


def test_dynamic_export_has_symbolic_batch_height_width(dynamic_export):
    _, path, _ = dynamic_export
    graph = onnx.load(path).graph
    (inp, ) = graph.input
    assert inp.name == 'input'
    dims = inp.type.tensor_type.shape.dim
    assert [bool(d.dim_param) for d in dims] == [True, False, True, True]
    assert dims[1].dim_value == 3
    assert [o.name for o in graph.output] == ['logits']


def test_dense_backbone_exports_its_maps(tmp_path):
    model = tiny_classifier(out_type='featmap', featmap_branches='both',
                            out_indices=[2, 3])
    path = str(tmp_path / 'dense.onnx')
    names = export_onnx(model, path, (96, 96), dynamic=True)
    assert names == ['conv_2', 'trans_2', 'conv_3', 'trans_3']
    wrapper = OnnxExportWrapper(model)
    for n, h, w in [(2, 96, 96), (1, 70, 130)]:
        pixels = torch.rand(n, 3, h, w) * 255
        with torch.no_grad():
            x = (pixels - model.data_preprocessor.mean) / \
                model.data_preprocessor.std
            expected = [t for pair in model.backbone(x) for t in pair]
        got = run_onnx(path, pixels.numpy())
        assert len(got) == 4
        for ref, out in zip(expected, got):
            assert out.shape == tuple(ref.shape)
            ref = ref.numpy()
            assert np.abs(out - ref).max() / np.abs(ref).max() < 1e-4
    assert wrapper.output_names == names


def test_bgr_trained_model_gets_its_channels_flipped():
    cfg = tiny_config()
    cfg.model.data_preprocessor = dict(
        type='ClsDataPreprocessor', num_classes=NUM_CLASSES,
        mean=[1., 2., 3.], std=[4., 5., 6.], to_rgb=False)
    model = load_classifier(cfg)
    rgb = rgb_batch(1, 64, 64)
    bgr_chw = torch.from_numpy(rgb[0, ..., ::-1].transpose(2, 0, 1).copy())
    with torch.no_grad():
        # to_rgb=False: the preprocessor passes the BGR it gets through
        data = model.data_preprocessor({'inputs': [bgr_chw]}, False)
        expected = sum(model(data['inputs'], mode='tensor'))
        got = OnnxExportWrapper(model)(
            torch.from_numpy(rgb.transpose(0, 3, 1, 2).astype(np.float32)))
    torch.testing.assert_close(got, expected)


def test_failed_export_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'model.onnx'
    path.write_bytes(b'previous export')

    def broken(*args, **kwargs):
        raise RuntimeError('exporter crashed')

    monkeypatch.setattr(torch.onnx, 'export', broken)
    with pytest.raises(RuntimeError, match='exporter crashed'):
        export_onnx(tiny_classifier(), str(path), (64, 64))
    assert path.read_bytes() == b'previous export'
    assert [p.name for p in tmp_path.iterdir()] == ['model.onnx']


@pytest.mark.parametrize('kwargs,message', [
    (dict(opset=17), 'opset must be an int >= 18'),
    (dict(input_size=(0, 64)), 'input_size must be'),
    (dict(batch_size=0), 'batch_size must be >= 1'),
])
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        export_onnx(tiny_classifier(), str(tmp_path / 'x.onnx'), **kwargs)
    assert not (tmp_path / 'x.onnx').exists()


def test_a_model_without_a_conformer_backbone_is_refused():
    with pytest.raises(TypeError, match='ConformerBackbone, got Linear'):
        OnnxExportWrapper(torch.nn.Linear(2, 2))
