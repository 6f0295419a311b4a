# Copyright (c) mmconformer contributors. All rights reserved.
from .classifier_loading import load_classifier
from .fast_inference import optimize_for_inference, resolve_dtype
from .model_index import model_index_path, register_model_index
from .onnx_export import (OnnxExportWrapper, default_verify_shapes,
                          export_onnx, verify_onnx)

__all__ = [
    'OnnxExportWrapper', 'default_verify_shapes', 'export_onnx',
    'load_classifier', 'model_index_path', 'optimize_for_inference',
    'register_model_index', 'resolve_dtype', 'verify_onnx'
]
