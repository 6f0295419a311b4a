"""tools/deployment/pytorch2onnx.py: a thin CLI over apis.onnx_export."""
import re

import pytest
import torch
from _helpers import load_tool, write_tiny_config

from mmconformer.apis import load_classifier

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')


@pytest.fixture
def tiny(tmp_path):
    config = write_tiny_config(tmp_path / 'tiny.py')
    model = load_classifier(str(config))
    checkpoint = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    return str(config), str(checkpoint)


def test_dynamic_export_and_verify(tiny, tmp_path, capsys):
    config, checkpoint = tiny
    out = tmp_path / 'out' / 'tiny.onnx'
    tool = load_tool('deployment/pytorch2onnx.py')
    assert tool.main([config, checkpoint, '--output-file', str(out),
                      '--shape', '96', '128', '--dynamic-export',
                      '--verify']) == 0
    text = capsys.readouterr().out
    assert out.is_file()
    assert 'dynamic batch, height and width' in text
    checks = re.findall(r'onnxruntime vs PyTorch at (\S+): max abs diff '
                        r'(\S+), max rel diff (\S+)', text)
    # the export size, and two others
    assert [c[0] for c in checks] == ['1x3x96x128', '3x3x84x152',
                                      '1x3x141x301']
    assert all(float(rel) < 1e-4 for _, _, rel in checks)


def test_checkpoint_of_another_config_is_a_clear_error(tiny, tmp_path,
                                                       capsys):
    config, checkpoint = tiny
    out = tmp_path / 'x.onnx'
    tool = load_tool('deployment/pytorch2onnx.py')
    assert tool.main([config, checkpoint, '--output-file', str(out),
                      '--cfg-options', 'model.head.num_classes=3']) == 1
    err = capsys.readouterr().err
    assert 'does not fit the config' in err
    assert 'head.conv_cls_head.weight has shape (6, 256)' in err
    assert not out.exists()


def test_missing_file_and_bad_opset(tiny, tmp_path, capsys):
    config, checkpoint = tiny
    tool = load_tool('deployment/pytorch2onnx.py')
    assert tool.main([config, str(tmp_path / 'nope.pth'), '--output-file',
                      str(tmp_path / 'x.onnx')]) == 1
    assert 'file not found' in capsys.readouterr().err
    assert tool.main([config, checkpoint, '--output-file',
                      str(tmp_path / 'x.onnx'), '--opset', '13']) == 1
    err = capsys.readouterr().err
    assert 'opset must be an int >= 18' in err and 'got 13' in err
    assert not (tmp_path / 'x.onnx').exists()
