"""int8 inference on x86 CPUs: PT2E static quantization of the backbone
(optimize_for_inference(..., 'int8')), onnxruntime's int8 export, and the
calibration images they share."""
import re

import numpy as np
import pytest
import torch
from _helpers import call_main, load_tool
from _training import data_options, tiny_classifier_files

from mmconformer.apis import (QuantizedModule, calibration_batches,
                              calibration_inputs, find_images,
                              load_classifier, optimize_for_inference)

pytest.importorskip('torchao')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """A tiny classifier of the demo config, saved, and shapes to calibrate
    on (training images) and test on (val images)."""
    files = tiny_classifier_files(tmp_path_factory.mktemp('int8'), 4, 2)
    return dict(files, model=load_classifier(files['config'],
                                             files['ckpt']))


def test_find_images_and_calibration_batches(setup):
    images = find_images(str(setup['data'] / 'train'))
    assert len(images) == 24 and images == sorted(images)
    five = find_images(str(setup['data'] / 'train'), 5)
    assert len(five) == 5 and five == sorted(five) and set(five) <= set(
        images)
    # spread over the list, not its first five
    assert five[0] == images[0] and images.index(five[-1]) >= 19
    batches = list(calibration_batches(setup['model'], images[:10], 4))
    assert [len(b) for b in batches] == [4, 4, 2]
    # the config's test pipeline: 48x48 BGR uint8
    assert batches[0][0].shape == (3, 48, 48)
    assert batches[0][0].dtype == torch.uint8
    inputs = calibration_inputs(setup['model'], images[:10], 4)
    assert [tuple(x.shape) for x in inputs] == [(4, 3, 48, 48)] * 2 + [
        (2, 3, 48, 48)]
    (setup['tmp'] / 'empty').mkdir(exist_ok=True)
    with pytest.raises(ValueError, match='no image'):
        find_images(str(setup['tmp'] / 'empty'))
    with pytest.raises(ValueError, match='not found'):
        find_images(str(setup['tmp'] / 'none'))


def test_int8_needs_calibration_and_a_cpu(setup, monkeypatch):
    with pytest.raises(ValueError, match="int8' needs calibration images"):
        optimize_for_inference(setup['model'], 'int8')
    from mmconformer.apis import fast_inference
    monkeypatch.setattr(fast_inference, '_model_device',
                        lambda model: torch.device('cuda', 0))
    with pytest.raises(ValueError, match='runs on x86 CPUs'):
        optimize_for_inference(setup['model'], 'int8', calibration=[])


@pytest.mark.slow
def test_int8_keeps_the_interface_and_the_answers(setup):
    """Quantized per channel, compiled with freezing: tensor mode, predict
    and the Inferencer work, and the logits stay close to fp32's."""
    from mmpretrain.apis import ImageClassificationInferencer
    model = setup['model']
    calibration = calibration_inputs(
        model, find_images(str(setup['data'] / 'train')))
    fast = optimize_for_inference(model, 'int8', calibration=calibration)
    assert fast.backbone.with_cls_token and fast.backbone.patch_size == 16
    quantized = fast.backbone.module
    while not isinstance(quantized, QuantizedModule):
        quantized = quantized.module
    # weights per output channel: one scale per channel of each conv/linear
    graph = str(quantized.quantized.graph)
    assert 'quantize_per_channel' in graph and 'quantize_per_tensor' in graph
    images = find_images(str(setup['data'] / 'val'))
    x = calibration_inputs(model, images)[0]
    with torch.no_grad():
        got = sum(fast(x, mode='tensor'))
        expected = sum(model(x, mode='tensor'))
        samples = fast.predict(x)
    assert (got - expected).abs().max() / expected.abs().max() < 0.1
    assert (got.argmax(1) == expected.argmax(1)).float().mean() >= 0.9
    assert [int(s.pred_label) for s in samples] == got.argmax(1).tolist()
    results = ImageClassificationInferencer(model=fast)(images[:3],
                                                        batch_size=3)
    assert [r['pred_label'] for r in results] == got.argmax(1)[:3].tolist()


@pytest.mark.slow
def test_infer_tool_int8_by_auto_where_it_pays(setup, capsys, monkeypatch):
    from mmconformer.apis import dtype_recommendation
    monkeypatch.setattr(dtype_recommendation, 'cpu_class',
                        lambda: 'avx512_core_bf16')
    tool = load_tool('infer.py')
    image = str(setup['data'] / 'val' / 'disc' / '00000.png')
    # --fast alone is auto: with calibration images, int8 where it pays
    code, out, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                               image, '--fast', '--calib-dir',
                               setup['data'] / 'train', '--calib-images', 8)
    assert code == 0, err
    assert 'optimize_for_inference: auto: int8, the fastest on ' \
        'avx512_core_bf16' in out
    assert re.search(rf'^{re.escape(image)}\t\w+\t[0-9.]+$', out, re.M)
    for args, message in [
            (['--fast', 'int8'], '--fast int8 needs --calib-dir'),
            (['--fast', 'bf16', '--calib-dir', '.'],
             '--calib-dir calibrates --fast int8 or --fast auto, not '
             '--fast bf16')]:
        code, _, err = call_main(tool, capsys, setup['config'],
                                 setup['ckpt'], image, *args)
        assert code == 2 and message in err


@pytest.mark.slow
def test_numerics_tool_int8(setup, capsys):
    tool = load_tool('analysis_tools/fast_inference_numerics.py')
    out_json = setup['tmp'] / 'int8.json'
    code, out, err = call_main(
        tool, capsys, setup['config'], setup['ckpt'], '--dtype', 'int8',
        '--calib-images', 12, '--json', out_json, '--cfg-options',
        *data_options(setup['data']))
    assert code == 0, err
    assert re.search(r"12 images, optimize_for_inference\(dtype='int8'\) "
                     r'vs the fp32 eager model: top-1 agreement', out)
    assert '"dtype": "int8"' in out_json.read_text()


@pytest.mark.slow
def test_onnxruntime_int8_export(setup, capsys):
    """onnxruntime's own static quantizer: a QDQ model with per-channel
    weights, verified on the calibration images."""
    onnx = pytest.importorskip('onnx')
    pytest.importorskip('onnxscript')
    tool = load_tool('deployment/pytorch2onnx.py')
    output = setup['tmp'] / 'int8.onnx'
    code, out, err = call_main(
        tool, capsys, setup['config'], setup['ckpt'], '--output-file', output,
        '--shape', 48, 48, '--quantize', 'int8', '--calib-dir',
        setup['data'] / 'train', '--calib-images', 8, '--verify')
    assert code == 0, err
    assert 'int8 QDQ calibrated on 8 images' in out
    match = re.search(r'onnxruntime int8 vs PyTorch fp32 on the 8 calibration '
                      r'images: max abs diff \S+, max rel diff (\S+), top-1 '
                      r'agreement ([0-9.]+)%', out)
    # an untrained tiny model: its logits are small and close together, so
    # this bounds the mechanics only; docs/en/benchmarks.md measures int8
    # on the trained demo model
    assert match and float(match.group(1)) < 0.5, out
    graph = onnx.load(str(output)).graph
    ops = {node.op_type for node in graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    # per-channel weight scales: a vector for each conv weight
    weight_scales = [
        init for init in graph.initializer
        if init.name.endswith('_scale') and len(init.dims) == 1 and
        init.dims[0] > 1]
    assert weight_scales
    # Conv and Gemm weights are int8; LayerNorm's scale stays a float
    # initializer (LayerNormalization is left out of the quantized ops)
    producer = {out: node.op_type for node in graph.node
                for out in node.output}
    initializers = {init.name for init in graph.initializer}
    for node in graph.node:
        if node.op_type in ('Conv', 'Gemm'):
            assert producer.get(node.input[1]) == 'DequantizeLinear', node
        if node.op_type == 'LayerNormalization':
            assert node.input[1] in initializers, node
    code, _, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                             '--output-file', output, '--quantize', 'int8')
    assert code == 2 and '--quantize int8 and --calib-dir go together' in err


def test_pixels_for_onnxruntime_are_rgb(setup):
    """The graph takes RGB pixels; the pipeline gives BGR."""
    from mmconformer.apis import onnx_calibration_pixels
    images = find_images(str(setup['data'] / 'train'), 2)
    # a static graph takes one image a batch, at its size
    pixels = torch.cat(onnx_calibration_pixels(setup['model'], images, 1,
                                               (32, 32)))
    bgr = torch.stack(next(calibration_batches(
        setup['model'], find_images(str(setup['data'] / 'train'), 2), 2)))
    assert pixels.shape == (2, 3, 32, 32)
    resized = torch.nn.functional.interpolate(
        bgr.float(), (32, 32), mode='bilinear', align_corners=False)
    np.testing.assert_allclose(pixels.numpy(), resized.flip(1).numpy())


def test_int8_onnx_of_a_dynamic_graph_is_refused_leaving_nothing(
        setup, tmp_path, monkeypatch, capsys):
    """The tool refuses --quantize int8 --dynamic-export before exporting,
    in one line that says what works; quantize_onnx_int8 itself, given a
    dynamic export, raises ValueError, and onnxruntime's temporaries (an
    ONNX file and its data, written to the working folder) are gone."""
    pytest.importorskip('onnxscript')
    from mmconformer.apis import export_onnx, quantize_onnx_int8
    monkeypatch.chdir(tmp_path)
    tool = load_tool('deployment/pytorch2onnx.py')
    code, out, err = call_main(
        tool, capsys, setup['config'], setup['ckpt'], '--output-file',
        'int8.onnx', '--shape', 48, 48, '--quantize', 'int8', '--calib-dir',
        setup['data'] / 'train', '--dynamic-export')
    assert code == 2
    assert err.strip().splitlines()[-1].endswith(
        'error: --quantize int8 needs a graph of static shape, which '
        "onnxruntime's quantizer can prepare: drop --dynamic-export (the "
        'int8 model then runs at --shape)')
    assert list(tmp_path.iterdir()) == []
    fp32 = setup['tmp'] / 'dynamic.onnx'
    export_onnx(setup['model'], str(fp32), (48, 48), 1, dynamic=True)
    pixels = [np.zeros((1, 3, 48, 48), np.float32)]
    with pytest.raises(ValueError, match='int8 needs a graph of static '
                       'shape'):
        quantize_onnx_int8(str(fp32), 'int8.onnx', pixels)
    assert list(tmp_path.iterdir()) == []
