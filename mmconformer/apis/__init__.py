# Copyright (c) mmconformer contributors. All rights reserved.
from .calibration import (calibration_batches, calibration_images,
                          calibration_inputs, dataset_image_paths,
                          evenly_spaced, find_images)
from .classifier_loading import load_classifier
from .fast_inference import DTYPES, optimize_for_inference, resolve_dtype
from .model_index import model_index_path, register_model_index
from .onnx_export import (OnnxExportWrapper, default_verify_shapes,
                          export_onnx, verify_onnx)
from .onnx_quantization import onnx_calibration_pixels, quantize_onnx_int8
from .openvino_export import (OpenVINOClassifier, compile_openvino,
                              export_openvino, verify_openvino)
from .delegating_module import DelegatingModule
from .verification import compare_logits, compare_outputs
from .quantization import QuantizedModule, quantize_int8
from .dtype_recommendation import RECOMMENDED_DTYPES, recommended_dtype

__all__ = [
    'DTYPES', 'DelegatingModule', 'OnnxExportWrapper', 'OpenVINOClassifier',
    'QuantizedModule', 'RECOMMENDED_DTYPES', 'calibration_batches',
    'calibration_images', 'calibration_inputs', 'compare_logits',
    'compare_outputs', 'compile_openvino', 'dataset_image_paths',
    'default_verify_shapes', 'evenly_spaced', 'export_onnx',
    'export_openvino', 'find_images', 'load_classifier', 'model_index_path',
    'onnx_calibration_pixels', 'optimize_for_inference', 'quantize_int8',
    'quantize_onnx_int8', 'recommended_dtype', 'register_model_index',
    'resolve_dtype', 'verify_onnx', 'verify_openvino'
]
