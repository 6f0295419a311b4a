# Copyright (c) mmconformer contributors. All rights reserved.
"""int8 ONNX models: onnxruntime's own static quantizer on our export."""
import os
import os.path as osp
import tempfile
from typing import Iterable, Iterator, List, Optional

import numpy as np

from ..utils import atomic_write
from .onnx_export import INPUT_NAME

__all__ = ['onnx_calibration_pixels', 'quantize_onnx_int8']


class _PixelReader:
    """onnxruntime's CalibrationDataReader over batches of pixels."""

    def __init__(self, batches: Iterable[np.ndarray]) -> None:
        self._batches: Iterator[np.ndarray] = iter(batches)

    def get_next(self) -> Optional[dict]:
        batch = next(self._batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def quantize_onnx_int8(fp32_file: str, output_file: str,
                       calibration: Iterable[np.ndarray]) -> None:
    """Write the int8 QDQ model of an fp32 export, quantized statically by
    onnxruntime (``quantize_static``: per-channel int8 weights, uint8
    activations, as onnxruntime recommends for x86 CPUs; calibration by
    min-max over ``calibration``). Every op type of onnxruntime's QDQ
    registry is quantized except ``LayerNormalization``, whose int8 form
    makes the logits' error larger and the model slower
    (docs/en/deployment.md gives the figures).
    The model is pre-processed by onnxruntime's ``quant_pre_process``
    (shape inference, graph optimisation) first, as its documentation
    asks.

    Args:
        fp32_file (str): An export of :func:`export_onnx`.
        output_file (str): The int8 model, written atomically.
        calibration (Iterable[np.ndarray]): Batches of the graph's input,
            ``N x 3 x H x W`` float32 RGB pixels in 0..255.

    Raises:
        ValueError: no calibration batch, or a graph onnxruntime cannot
            prepare (one with dynamic axes). Nothing is left behind.
    """
    from onnxruntime.quantization import (QuantFormat, QuantType,
                                          quant_pre_process, quantize_static)
    from onnxruntime.quantization.registry import QDQRegistry
    batches: List[np.ndarray] = [np.ascontiguousarray(b, np.float32)
                                 for b in calibration]
    if not batches:
        raise ValueError('int8 calibration needs at least one batch of '
                         'images')
    fp32_file = osp.abspath(fp32_file)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quantized = osp.join(tmp, 'int8.onnx')
        # quant_pre_process writes its own temporaries (an ONNX file and
        # its external data) into the working folder, and leaves them there
        # when it fails: it works inside the temporary folder instead
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            quant_pre_process(fp32_file, prepared)
        except Exception as err:  # onnxruntime raises a bare Exception
            raise ValueError(
                f'onnxruntime cannot prepare {fp32_file} for int8 '
                f'quantization ({err}); int8 needs a graph of static shape '
                f'(an export without dynamic axes)') from err
        finally:
            os.chdir(cwd)
        quantize_static(prepared, quantized, _PixelReader(batches),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8,
                        op_types_to_quantize=sorted(
                            set(QDQRegistry) - {'LayerNormalization'}))
        with open(quantized, 'rb') as src, \
                atomic_write(output_file, 'wb') as dst:
            dst.write(src.read())


def onnx_calibration_pixels(model, images: List[str], batch_size: int,
                            size: Optional[tuple] = None) -> list:
    """Calibration images as our ONNX graph takes them: batches of float
    RGB pixels in 0..255, prepared by ``model``'s test pipeline, resized to
    ``size`` (H, W) for a static graph.

    Args:
        model (nn.Module): Our classifier (its config's test pipeline).
        images (list[str]): Image files.
        batch_size (int): Images per batch.
        size (tuple, optional): The static graph's ``(H, W)``. Defaults to
            None (a dynamic graph takes each image's own size).

    Returns:
        list[Tensor]: The batches.
    """
    import torch
    import torch.nn.functional as F

    from .calibration import calibration_batches
    batches = []
    for batch in calibration_batches(model, images, batch_size):
        pixels = torch.stack(batch).float().flip(1)  # BGR -> RGB
        if size is not None:
            pixels = F.interpolate(pixels, tuple(size), mode='bilinear',
                                   align_corners=False)
        batches.append(pixels)
    return batches
