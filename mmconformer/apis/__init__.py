# Copyright (c) mmconformer contributors. All rights reserved.
from .calibration import (calibration_batches, calibration_inputs,
                          dataset_image_paths, evenly_spaced, find_images)
from .classifier_loading import load_classifier
from .fast_inference import DTYPES, optimize_for_inference, resolve_dtype
from .model_index import model_index_path, register_model_index
from .onnx_export import (OnnxExportWrapper, default_verify_shapes,
                          export_onnx, verify_onnx)
from .onnx_quantization import quantize_onnx_int8
from .quantization import QuantizedModule, quantize_int8, torchao_available

__all__ = [
    'DTYPES', 'OnnxExportWrapper', 'QuantizedModule', 'calibration_batches',
    'calibration_inputs', 'dataset_image_paths', 'evenly_spaced',
    'default_verify_shapes', 'export_onnx', 'find_images', 'load_classifier',
    'model_index_path', 'optimize_for_inference', 'quantize_int8',
    'quantize_onnx_int8', 'register_model_index', 'resolve_dtype',
    'torchao_available', 'verify_onnx'
]
