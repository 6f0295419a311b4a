# Copyright (c) mmconformer contributors. All rights reserved.
"""Whether the optional packages of the ``[deploy]`` and ``[openvino]``
extras are installed."""
import importlib.util

__all__ = ['onnxruntime_available', 'openvino_available',
           'torchao_available']


def torchao_available() -> bool:
    """Whether torchao, which holds PyTorch's PT2E quantization (our int8
    path), is installed."""
    return importlib.util.find_spec('torchao') is not None


def onnxruntime_available() -> bool:
    """Whether onnxruntime and the exporter's onnxscript are installed (ONNX
    export and its check)."""
    return all(importlib.util.find_spec(name) is not None
               for name in ('onnxruntime', 'onnxscript'))


def openvino_available() -> bool:
    """Whether OpenVINO and NNCF (its int8 quantizer), the ``[openvino]``
    extra, are installed."""
    return all(importlib.util.find_spec(name) is not None
               for name in ('openvino', 'nncf'))
