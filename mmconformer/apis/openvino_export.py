# Copyright (c) mmconformer contributors. All rights reserved.
"""Our classifier as an OpenVINO IR, fp32 or int8 (NNCF), and a module that
runs one in place of the PyTorch model.

The IR is converted from our ONNX export (:func:`export_onnx`), so it has
the same input and output: ``input``, float32 NCHW RGB pixels in 0..255
(normalisation inside), any batch at the exported height and width, and
``logits``, the sum of both branches' logits.
"""
import contextlib
import io
import logging
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from ..utils import atomic_write
from .onnx_export import export_onnx

__all__ = ['OpenVINOClassifier', 'compile_openvino', 'export_openvino',
           'verify_openvino']


def _quantize_int8(ov_model, calibration: Sequence[np.ndarray]):
    """NNCF post-training quantization of an OpenVINO model.

    ``ModelType.TRANSFORMER``: the transformer branch's activation x
    activation matmuls (attention) are quantized too, and SmoothQuant moves
    the activations' outliers into the weights first, which NNCF does for
    transformer models only. The preset is that model type's default,
    ``MIXED`` (symmetric int8 weights, asymmetric activations: GELU's and
    the CNN branch's ReLU outputs are one-sided). No ignored scope: every
    layer, the classifier heads included, is quantized, which keeps top-1
    within a point of fp32 on the demo (tests/test_apis/test_openvino.py).
    """
    import nncf
    nncf.set_log_level(logging.ERROR)
    batches = [np.ascontiguousarray(b, np.float32) for b in calibration]
    if not batches:
        raise ValueError('int8 calibration needs at least one batch of '
                         'images')
    # NNCF draws a progress bar per step on stdout, whatever its log level
    with contextlib.redirect_stdout(io.StringIO()):
        return nncf.quantize(
            ov_model, nncf.Dataset(batches),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=sum(len(b) for b in batches),
            preset=nncf.QuantizationPreset.MIXED)


def export_openvino(model: nn.Module, xml_file: str,
                    input_size: Tuple[int, int] = (224, 224),
                    calibration: Optional[Sequence[np.ndarray]] = None
                    ) -> Dict[str, object]:
    """Write ``model`` as an OpenVINO IR (``.xml`` and its ``.bin``).

    Args:
        model (nn.Module): Our classifier.
        xml_file (str): The IR's ``.xml``; its weights go to the ``.bin``
            beside it. Both are written atomically (the ``.bin`` first).
        input_size (tuple): The IR's ``(H, W)``; the batch is dynamic.
            Defaults to ``(224, 224)``.
        calibration (Sequence[np.ndarray], optional): Batches of the input
            (``N x 3 x H x W`` float32 RGB 0..255) to quantize the IR to
            int8 with (NNCF, see :func:`_quantize_int8`). Defaults to None
            (fp32, weights kept in fp32).

    Returns:
        dict: ``xml`` and ``bin`` (the paths) and ``int8`` (bool).
    """
    import openvino as ov
    if not str(xml_file).endswith('.xml'):
        raise ValueError(f'an OpenVINO IR is written as NAME.xml (and '
                         f'NAME.bin), got {xml_file!r}')
    bin_file = str(xml_file)[:-4] + '.bin'
    h, w = input_size
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = osp.join(tmp, 'model.onnx')
        export_onnx(model, onnx_file, (h, w), 1, dynamic=True)
        ov_model = ov.convert_model(onnx_file, input=[-1, 3, h, w])
        if calibration is not None:
            ov_model = _quantize_int8(ov_model, calibration)
        ov.save_model(ov_model, osp.join(tmp, 'model.xml'),
                      compress_to_fp16=False)
        for src, dst in (('model.bin', bin_file), ('model.xml', xml_file)):
            with open(osp.join(tmp, src), 'rb') as f, \
                    atomic_write(dst, 'wb') as out:
                out.write(f.read())
    return dict(xml=str(xml_file), bin=bin_file,
                int8=calibration is not None)


def compile_openvino(xml_file: str, config: Optional[dict] = None):
    """The IR compiled for the CPU with ``config`` (OpenVINO properties,
    e.g. ``{'PERFORMANCE_HINT': 'LATENCY'}``)."""
    import openvino as ov
    if not osp.isfile(xml_file):
        raise FileNotFoundError(f'no OpenVINO IR at {xml_file}')
    return ov.Core().compile_model(xml_file, 'CPU', config or {})


def verify_openvino(model: nn.Module, xml_file: str,
                    pixels: Sequence[torch.Tensor],
                    config: Optional[dict] = None) -> Dict[str, float]:
    """Run the IR and PyTorch on the same pixels (batches of ``N x 3 x H x
    W`` float RGB 0..255).

    Returns:
        dict: ``max_abs`` and ``max_rel`` (over the largest PyTorch logit)
        differences and ``top1_agreement``, over all batches.
    """
    from .verification import compare_outputs
    compiled = compile_openvino(xml_file, config)
    rows = compare_outputs(
        model, lambda batch: compiled(batch).to_tuple(), pixels)
    images = sum(row['shape'][0] for row in rows)
    return dict(max_abs=max(row['max_abs'] for row in rows),
                max_rel=max(row['max_rel'] for row in rows),
                top1_agreement=sum(row['top1_agreement'] * row['shape'][0]
                                   for row in rows) / images)


class OpenVINOClassifier(BaseModel):
    """An OpenVINO IR of ``model`` in the classifier's place: the same
    ``test_step`` and ``forward(mode='predict'/'tensor')`` as mmpretrain's
    ``ImageClassifier``, so that mmpretrain's Inferencer and our tools run
    it, with the classifier's config and class names.

    The data preprocessor stacks the images and turns BGR into RGB, as the
    model's own does, but leaves the normalisation to the IR.

    Args:
        model (nn.Module): The PyTorch classifier the IR was exported from.
        xml_file (str): The IR.
        config (dict, optional): OpenVINO properties for compiling it.
            Defaults to None (OpenVINO's defaults: bf16 on a CPU with AMX
            or AVX512-BF16).
    """

    def __init__(self, model: nn.Module, xml_file: str,
                 config: Optional[dict] = None) -> None:
        from mmpretrain.models import ClsDataPreprocessor
        preprocessor = model.data_preprocessor
        super().__init__(data_preprocessor=ClsDataPreprocessor(
            to_rgb=preprocessor.to_rgb,
            pad_size_divisor=preprocessor.pad_size_divisor))
        self.compiled = compile_openvino(xml_file, config)
        self.xml_file = xml_file
        self._config = getattr(model, '_config', None)
        for meta in ('dataset_meta', '_dataset_meta'):  # class names
            if hasattr(model, meta):
                setattr(self, meta, getattr(model, meta))

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        logits = torch.from_numpy(
            self.compiled(inputs.float().contiguous().numpy())[0])
        if mode == 'tensor':
            return logits
        if mode != 'predict':
            raise ValueError(f'an OpenVINO model predicts only: mode '
                             f"'predict' or 'tensor', got {mode!r}")
        from mmpretrain.structures import DataSample
        scores = logits.softmax(dim=1)
        data_samples = data_samples or [DataSample() for _ in scores]
        for sample, score in zip(data_samples, scores):
            sample.set_pred_score(score).set_pred_label(score.argmax())
        return data_samples
