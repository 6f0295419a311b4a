"""OpenVINO as a deployment target: an IR with our ONNX export's input and
output (tools/deployment/pytorch2openvino.py), equal to PyTorch in fp32,
int8 through NNCF, and run by tools/infer.py and the Python API. The int8
IR's top-1 on the trained demo model: tests/test_e2e/test_demo.py. OpenVINO
runs in processes of their own (tests/_openvino_checks.py says why)."""
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
from _helpers import REPO_ROOT, call_main, load_tool
from _training import tiny_classifier_files

pytest.importorskip('openvino', reason='OpenVINO is not installed (pip '
                    'install "mmconformer[openvino]")')
pytest.importorskip('nncf')
pytest.importorskip('onnxscript')

CHECKS = osp.join(REPO_ROOT, 'tests', '_openvino_checks.py')


def python(*args):
    """Run in a process of its own (see tests/_openvino_checks.py)."""
    return subprocess.run([sys.executable, *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_ROOT)


def tool(name, *args):
    return python(osp.join(REPO_ROOT, 'tools', name), *args)


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    files = tiny_classifier_files(tmp_path_factory.mktemp('openvino'), 2)
    xml = files['tmp'] / 'tiny.xml'
    result = tool('deployment/pytorch2openvino.py', files['config'],
                  files['ckpt'], xml, '--shape', 48, 48, '--verify')
    return dict(files, xml=xml, result=result)


def test_tool_writes_an_fp32_ir_that_equals_pytorch(setup):
    result = setup['result']
    assert result.returncode == 0, result.stderr[-3000:]
    assert (setup['tmp'] / 'tiny.bin').is_file()
    match = re.search(r'OpenVINO fp32 vs PyTorch fp32 on 3 images: max abs '
                      r'diff \S+, max rel diff ([0-9.e+-]+)', result.stdout)
    assert match and float(match.group(1)) <= 1e-4, result.stdout


def test_the_ir_and_the_classifier_api_agree_with_pytorch(setup):
    """Read with OpenVINO directly: our ONNX export's input and output,
    any batch, the logits within 1e-4 of PyTorch; OpenVINOClassifier in the
    model's place gives its scores within 1e-5."""
    result = python(CHECKS, 'ir', setup['config'], setup['ckpt'],
                    setup['xml'])
    assert result.returncode == 0, result.stderr[-3000:]
    checks = json.loads(result.stdout.strip().splitlines()[-1])
    assert (checks['input'], checks['shape'], checks['output']) == \
        ('input', '[?,3,48,48]', 'logits')
    assert max(checks['max_rel'].values()) <= 1e-4, checks
    assert checks['score_diff'] <= 1e-5 and checks['labels_agree']
    assert checks['meta_kept']
    assert 'predicts only' in checks['refusal']


def test_tool_int8_with_verify(setup):
    int8_xml = setup['tmp'] / 'int8.xml'
    result = tool('deployment/pytorch2openvino.py', setup['config'],
                  setup['ckpt'], int8_xml, '--shape', 48, 48, '--int8',
                  '--calib-dir', setup['data'] / 'train', '--calib-images',
                  8, '--verify')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'int8 (NNCF), calibrated on 8 images' in result.stdout
    assert re.search(r'OpenVINO int8 vs PyTorch fp32 on 8 images: .* top-1 '
                     r'agreement', result.stdout)
    # NNCF's own progress bars stay out of the tool's output
    assert 'Statistics collection' not in result.stdout + result.stderr
    assert '<layer id=' in int8_xml.read_text() and \
        'type="FakeQuantize"' in int8_xml.read_text()


@pytest.mark.parametrize('args,message', [
    (['--int8'], '--int8 and --calib-dir go together'),
    (['--calib-dir', '.'], '--int8 and --calib-dir go together'),
    (['--shape', '16', '16'], '--shape must be at least 32'),
    ([], 'OUT.xml must end in .xml'),
])
def test_tool_refuses_bad_options(setup, capsys, args, message):
    """Refused by the argument parser, before OpenVINO is loaded: in this
    process."""
    out = setup['tmp'] / ('bad.xml' if args else 'bad.onnx')
    code, _, err = call_main(load_tool('deployment/pytorch2openvino.py'),
                             capsys, setup['config'], setup['ckpt'], out,
                             *args)
    assert code == 2 and message in err, err
    assert not out.exists()


def test_infer_tool_runs_the_ir(setup, capsys):
    """The same images through PyTorch (in this process) and through the
    IR (in its own)."""
    images = sorted(str(p) for p in (setup['data'] / 'val').rglob('*.png'))
    code, plain, err = call_main(load_tool('infer.py'), capsys,
                                 setup['config'], setup['ckpt'], *images)
    assert code == 0, err[-3000:]
    result = tool('infer.py', setup['config'], setup['ckpt'], *images,
                  '--openvino', setup['xml'])
    assert result.returncode == 0, result.stderr[-3000:]

    def rows(text):
        return [line.split('\t') for line in text.splitlines()
                if '\t' in line]

    # the same classes, and scores within bf16's rounding where the CPU has
    # it (OpenVINO's default precision)
    assert len(rows(result.stdout)) == len(images) == 6
    for ours, ir in zip(rows(plain), rows(result.stdout)):
        assert ours[:2] == ir[:2]
        assert abs(float(ours[2]) - float(ir[2])) < 0.02
