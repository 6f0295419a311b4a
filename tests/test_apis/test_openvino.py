"""OpenVINO as a deployment target: an IR with our ONNX export's input and
output (tools/deployment/pytorch2openvino.py), equal to PyTorch in fp32,
int8 through NNCF, and run by tools/infer.py and the Python API. The int8
IR's top-1 on the trained demo model: tests/test_e2e/test_demo.py."""
import re

import numpy as np
import pytest
import torch
from _helpers import (call_main, load_tool, save_classifier_checkpoint,
                      write_tiny_config)
from _training import make_shapes

from mmconformer.apis import (OnnxExportWrapper, OpenVINOClassifier,
                              export_openvino, load_classifier)

pytest.importorskip('openvino', reason='OpenVINO is not installed (pip '
                    'install "mmconformer[openvino]")')
pytest.importorskip('nncf')
pytest.importorskip('onnxscript')

F32 = {'INFERENCE_PRECISION_HINT': 'f32'}


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('openvino')
    config = write_tiny_config(tmp / 'tiny.py', base_channels=16)
    ckpt = save_classifier_checkpoint(config, tmp / 'tiny.pth')
    data = make_shapes(tmp / 'shapes', train=2, val=1, size=48)
    model = load_classifier(config, ckpt)
    xml = export_openvino(model, str(tmp / 'tiny.xml'), (48, 48))['xml']
    return dict(tmp=tmp, config=config, ckpt=ckpt, data=data, model=model,
                xml=xml)


def test_fp32_ir_equals_pytorch_at_any_batch(setup):
    import openvino as ov
    compiled = ov.Core().compile_model(setup['xml'], 'CPU', F32)
    (port, ) = compiled.inputs
    assert port.get_any_name() == 'input'
    assert str(port.get_partial_shape()) == '[?,3,48,48]'
    assert compiled.outputs[0].get_any_name() == 'logits'
    wrapper = OnnxExportWrapper(setup['model']).eval()
    gen = torch.Generator().manual_seed(1)
    for batch in (1, 3):
        pixels = torch.rand(batch, 3, 48, 48, generator=gen) * 255
        with torch.no_grad():
            expected = wrapper(pixels).numpy()
        got = compiled(pixels.numpy())[0]
        assert got.shape == expected.shape == (batch, 6)
        assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_the_classifier_api_predicts_as_pytorch(setup):
    """OpenVINOClassifier in the PyTorch model's place: same test_step,
    same scores (its preprocessor leaves normalisation to the IR)."""
    model = setup['model']
    deployed = OpenVINOClassifier(model, setup['xml'], F32)
    images = [torch.randint(0, 256, (3, 48, 48), dtype=torch.uint8)
              for _ in range(2)]
    data = dict(inputs=images)
    with torch.no_grad():
        expected = model.test_step(data)
    got = deployed.test_step(data)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g.pred_score, e.pred_score, rtol=0,
                                   atol=1e-5)
        assert int(g.pred_label) == int(e.pred_label)
    assert getattr(deployed, 'dataset_meta', None) == \
        getattr(model, 'dataset_meta', None)
    with pytest.raises(ValueError, match="predicts only"):
        deployed(torch.zeros(1, 3, 48, 48), mode='loss')


def test_tool_fp32_and_int8_with_verify(setup, capsys):
    tool = load_tool('deployment/pytorch2openvino.py')
    out_xml = setup['tmp'] / 'tool.xml'
    code, out, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                               out_xml, '--shape', 48, 48, '--verify')
    assert code == 0, err
    assert (setup['tmp'] / 'tool.bin').is_file()
    match = re.search(r'OpenVINO fp32 vs PyTorch fp32 on 3 images: max abs '
                      r'diff \S+, max rel diff ([0-9.e+-]+)', out)
    assert match and float(match.group(1)) <= 1e-4, out
    int8_xml = setup['tmp'] / 'int8.xml'
    code, out, err = call_main(
        tool, capsys, setup['config'], setup['ckpt'], int8_xml, '--shape',
        48, 48, '--int8', '--calib-dir', setup['data'] / 'train',
        '--calib-images', 8, '--verify')
    assert code == 0, err
    assert 'int8 (NNCF), calibrated on 8 images' in out
    # NNCF's own progress bars stay out of the tool's output
    assert 'Statistics collection' not in out + err
    import openvino as ov
    ops = {op.get_type_name() for op in
           ov.Core().read_model(str(int8_xml)).get_ops()}
    assert 'FakeQuantize' in ops


@pytest.mark.parametrize('args,message', [
    (['--int8'], '--int8 and --calib-dir go together'),
    (['--calib-dir', '.'], '--int8 and --calib-dir go together'),
    (['--shape', '16', '16'], '--shape must be at least 32'),
])
def test_tool_refuses_bad_options(setup, capsys, args, message):
    tool = load_tool('deployment/pytorch2openvino.py')
    code, _, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                             setup['tmp'] / 'bad.xml', *args)
    assert code == 2 and message in err
    code, _, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                             setup['tmp'] / 'bad.onnx')
    assert code == 2 and 'must end in .xml' in err


def test_infer_tool_runs_the_ir(setup, capsys):
    images = sorted(str(p) for p in (setup['data'] / 'val').rglob('*.png'))
    tool = load_tool('infer.py')
    code, plain, err = call_main(tool, capsys, setup['config'],
                                 setup['ckpt'], *images)
    assert code == 0, err
    code, out, err = call_main(tool, capsys, setup['config'], setup['ckpt'],
                               *images, '--openvino', setup['xml'])
    assert code == 0, err

    def rows(text):
        return [line.split('\t') for line in text.splitlines()
                if '\t' in line]

    # the same classes, and scores within bf16's rounding where the CPU has
    # it (OpenVINO's default precision)
    for ours, ir in zip(rows(plain), rows(out)):
        assert ours[:2] == ir[:2]
        assert abs(float(ours[2]) - float(ir[2])) < 0.02
    assert len(rows(out)) == len(images) == 6
