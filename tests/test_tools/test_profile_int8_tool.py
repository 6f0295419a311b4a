"""tools/analysis_tools/profile_int8.py: where the int8 path spends its
time: the quantized graph's census, the kernel categories, OpenVINO's
counters."""
import json
import os.path as osp
import platform
import subprocess
import sys

import pytest
import torch.nn as nn
from _helpers import REPO_ROOT, load_tool, write_tiny_config


@pytest.mark.parametrize('name,category', [
    ('onednn::qlinear_pointwise', 'int8 linear'),
    ('onednn::qconv_pointwise', 'int8 conv'),
    ('onednn::qconv2d_pointwise.binary', 'int8 conv'),
    ('aten::bmm', 'float attention matmul'),
    ('cpp_fused__softmax_mul_12', 'softmax'),
    ('cpp_fused_native_layer_norm_quantize_per_tensor_3', 'layer norm'),
    ('cpp_fused_gelu_7', 'GELU'),
    ('cpp_fused_add_dequantize_per_tensor_9', 'other fused (add, '
     '(de)quantize, pooling)'),
    ('aten::empty', 'other'),
])
def test_kernel_category(name, category):
    tool = load_tool('analysis_tools/profile_int8.py')
    assert tool.kernel_category(name) == category


def _count(module: nn.Module, kind) -> int:
    return sum(isinstance(m, kind) for m in module.modules())


@pytest.mark.slow
@pytest.mark.skipif(platform.machine().lower() not in ('x86_64', 'amd64'),
                    reason='int8 kernels are x86 (oneDNN)')
def test_profile_int8_tool(tmp_path):
    """The census matches the model's own layers; every kernel lands in a
    category; the docs' table renders from the JSON."""
    pytest.importorskip('torchao')
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from mmconformer.models.layers.transformer_layer import \
        MultiheadSelfAttention
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16)
    out_json = tmp_path / 'profile.json'
    # a process of its own: the profile runs OpenVINO where it is installed
    # (tests/_openvino_checks.py says why)
    result = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                                  'profile_int8.py'), config,
         '--input-size', '48', '--batch-size', '2', '--repeats', '2',
         '--json', str(out_json)], capture_output=True, text=True,
        cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    # our log lines only: not the profiler's own (kineto's) stage lines
    assert 'profiler_start' not in result.stderr, result.stderr[-3000:]
    out = result.stdout
    report = json.loads(out_json.read_text())
    backbone = MODELS.build(Config.fromfile(config).model).backbone
    census = report['census']
    assert census['int8_conv'] == _count(backbone, nn.Conv2d)
    assert census['int8_linear'] == _count(backbone, nn.Linear)
    attention = _count(backbone, MultiheadSelfAttention)
    assert census['float'] == dict(
        attention_matmul=2 * attention, softmax=attention,
        layer_norm=_count(backbone, nn.LayerNorm),
        gelu=_count(backbone, nn.GELU), add=census['float']['add'])
    # an int8 activation is quantized once and may be read by several ops
    assert 0 < census['quantize'] <= census['dequantize']
    kernels = {k['category']: k for k in report['kernels']}
    assert {'int8 linear', 'int8 conv'} <= set(kernels)
    assert sum(k['share'] for k in kernels.values()) == pytest.approx(1)
    assert sum(k['ms'] for k in kernels.values()) == pytest.approx(
        report['ms_per_forward'])
    assert (report['batch_size'], report['input_size']) == (2, [48, 48])
    from _helpers import load_benchmark_tables
    table = load_benchmark_tables().markdown_report(report)
    for kernel in report['kernels']:
        assert kernel['category'] in out
    assert '| int8 linear |' in table and 'AVX512-VNNI' in table
    assert f'{census["int8_linear"]} linear layers with int8 weights' in table
    # OpenVINO's own counters for its int8 IR of the same model, where
    # installed: its int8 layers are there, and the docs render them
    from mmconformer.utils import openvino_available
    if not openvino_available():
        assert report['openvino'] is None
        return
    openvino = {k['category']: k for k in report['openvino']['kernels']}
    assert {'FullyConnected', 'Convolution'} <= set(openvino)
    assert sum(k['ms'] for k in openvino.values()) == pytest.approx(
        report['openvino']['ms_per_forward'])
    assert '| Node type | ms per forward | share |' in table
    assert '| FullyConnected |' in table


def test_profile_tool_refuses_a_missing_config(capsys):
    from _helpers import call_main
    code, _, err = call_main(load_tool('analysis_tools/profile_int8.py'),
                             capsys, 'missing.py')
    assert code == 1 and 'config not found: missing.py' in err
