# Copyright (c) mmconformer contributors. All rights reserved.
"""Export a Conformer classifier, or its dense backbone, to ONNX, and check
the export against PyTorch with onnxruntime.

The graph takes one float32 NCHW tensor named ``input``: RGB in 0..255, as
an image file decodes. The data preprocessor's normalisation (and the
RGB-to-BGR flip of a model trained on BGR) is inside the graph, so users
need no constants. A classifier gives ``logits``: the sum of both branches'
logits, ``N x num_classes`` (what ``predict`` ranks). A backbone with
``out_type='featmap'`` gives its maps, named ``conv_<block>`` /
``trans_<block>``.

``tools/deployment/pytorch2onnx.py`` is the command line.
"""
import contextlib
import io
import logging
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..models import ConformerBackbone
from ..utils import atomic_write

__all__ = [
    'INPUT_NAME', 'MIN_OPSET', 'OnnxExportWrapper', 'export_onnx',
    'onnx_session', 'verify_onnx', 'default_verify_shapes'
]

INPUT_NAME = 'input'
#: The torch.export-based exporter writes opset 18 and newer.
MIN_OPSET = 18


class OnnxExportWrapper(nn.Module):
    """The exported function: pixels in, logits (or feature maps) out.

    Args:
        model (nn.Module): An mmpretrain ``ImageClassifier`` with a
            :class:`ConformerBackbone` (and, for ``out_type='cls_token'``,
            a ``DualBranchClsHead``) and a ``ClsDataPreprocessor``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        backbone = getattr(model, 'backbone', None)
        if not isinstance(backbone, ConformerBackbone):
            got = type(model if backbone is None else backbone).__name__
            raise TypeError(f'export needs a classifier whose backbone is a '
                            f'ConformerBackbone, got {got}')
        self.model = model
        pre = model.data_preprocessor
        normalize = getattr(pre, '_enable_normalize', False)
        self.register_buffer(
            'mean', pre.mean.detach().clone().float() if normalize else
            torch.zeros(3, 1, 1), persistent=False)
        self.register_buffer(
            'std', pre.std.detach().clone().float() if normalize else
            torch.ones(3, 1, 1), persistent=False)
        if not isinstance(getattr(pre, 'to_rgb', None), bool):
            raise TypeError(f'export needs an mmpretrain ClsDataPreprocessor '
                            f'(mean, std, to_rgb), got {type(pre).__name__}')
        # to_rgb=True: the model sees RGB, which is what the graph takes.
        # to_rgb=False: it was trained on the BGR that cv2 decodes.
        self.flip_to_bgr = not pre.to_rgb
        self.dense = backbone.out_type == 'featmap'
        self.output_names = self._output_names(backbone)

    @staticmethod
    def _output_names(backbone: ConformerBackbone) -> List[str]:
        if backbone.out_type != 'featmap':
            return ['logits']
        branches = ('conv', 'trans') if backbone.featmap_branches == \
            'both' else (backbone.featmap_branches, )
        return [f'{branch}_{block}' for block in backbone.out_indices
                for branch in branches]

    def forward(self, inputs: torch.Tensor):
        if self.flip_to_bgr:
            inputs = inputs.flip(1)
        x = (inputs - self.mean) / self.std
        feats = self.model.extract_feat(x)
        if self.dense:
            flat = []
            for item in feats:
                flat.extend(item if isinstance(item, (tuple, list)) else
                            [item])
            return tuple(flat)
        conv_logits, trans_logits = self.model.head(feats)
        return conv_logits + trans_logits


@contextlib.contextmanager
def _quiet_exporter():
    """The exporter prints its progress, warns about its own internals and
    logs the symbolic-shape solver's failed simplifications (harmless: the
    graph is verified); our tools report the result instead. Errors still
    raise."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter('ignore')
            yield
    finally:
        logging.disable(previous)


def export_onnx(model: nn.Module,
                output_file: str,
                input_size: Tuple[int, int] = (224, 224),
                batch_size: int = 1,
                dynamic: bool = False,
                opset: int = MIN_OPSET) -> List[str]:
    """Export ``model`` (eval mode, float32, CPU) to ``output_file``.

    Args:
        model (nn.Module): See :class:`OnnxExportWrapper`.
        output_file (str): The ``.onnx`` file, written atomically: a failed
            export leaves no file (and an existing one untouched).
        input_size (tuple[int, int]): ``(H, W)`` of the traced input.
            Defaults to ``(224, 224)``.
        batch_size (int): Batch of the traced input. Defaults to 1.
        dynamic (bool): Make batch, height and width dynamic. Defaults to
            False: the graph only takes ``batch_size x 3 x H x W``.
        opset (int): ONNX opset, at least :data:`MIN_OPSET`.
            Defaults to 18.

    Returns:
        list[str]: The graph's output names.
    """
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f'opset must be an int >= {MIN_OPSET} (the '
                         f'torch.export-based ONNX exporter), got {opset!r}')
    if len(input_size) != 2 or min(input_size) < 1:
        raise ValueError(f'input_size must be (H, W) with positive sides, '
                         f'got {tuple(input_size)!r}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    wrapper = OnnxExportWrapper(model).cpu().float().eval()
    # torch.export specialises sizes of 1, so trace a dynamic batch with 2.
    example = torch.rand(
        max(batch_size, 2) if dynamic else batch_size, 3, *input_size) * 255
    dynamic_shapes = None
    if dynamic:
        any_size = torch.export.Dim.DYNAMIC
        dynamic_shapes = ({0: any_size, 2: any_size, 3: any_size}, )
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            wrapper, (example, ),
            input_names=[INPUT_NAME],
            output_names=wrapper.output_names,
            opset_version=opset,
            dynamo=True,
            dynamic_shapes=dynamic_shapes,
            external_data=False)
    with atomic_write(output_file, 'wb') as f:
        f.write(program.model_proto.SerializeToString())
    return wrapper.output_names


def onnx_session(onnx_file: str, threads: Optional[int] = None,
                 spinning: bool = True):
    """An onnxruntime CPU session of ``onnx_file``, its log limited to
    errors.

    Args:
        onnx_file (str): The export.
        threads (int, optional): Intra-op threads. Defaults to None
            (onnxruntime's default).
        spinning (bool): Let the intra-op threads spin after each call,
            waiting for the next one (onnxruntime's default, the lowest
            latency when the process runs nothing else). False puts them
            to sleep at once, for a process that runs other work between
            calls, which spinning threads would slow. Defaults to True.
    """
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    if not spinning:
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
    return onnxruntime.InferenceSession(onnx_file, options,
                                        providers=['CPUExecutionProvider'])


def verify_onnx(model: nn.Module,
                onnx_file: str,
                shapes: Sequence[Tuple[int, int, int]] = (),
                seed: int = 0,
                pixels: Optional[Sequence[torch.Tensor]] = None
                ) -> List[Dict]:
    """Run the export in onnxruntime and PyTorch on the same pixels.

    Args:
        model (nn.Module): The model that was exported.
        onnx_file (str): The export.
        shapes (Sequence[tuple]): ``(N, H, W)`` of random pixels to compare
            at. Defaults to ``()``.
        seed (int): Seed of the random pixels. Defaults to 0.
        pixels (Sequence[Tensor], optional): Batches of real pixels to
            compare on instead (``N x 3 x H x W`` float RGB in 0..255, the
            graph's input), e.g. the calibration images of an int8 model.
            Defaults to None.

    Returns:
        list[dict]: Per batch, :func:`~.verification.compare_outputs`.
    """
    from .verification import compare_outputs
    session = onnx_session(onnx_file)
    if pixels is None:
        gen = torch.Generator().manual_seed(seed)
        pixels = [torch.rand(n, 3, h, w, generator=gen) * 255
                  for n, h, w in shapes]
    return compare_outputs(
        model, lambda batch: session.run(None, {INPUT_NAME: batch}), pixels)


def default_verify_shapes(input_size: Tuple[int, int],
                          batch_size: int = 1,
                          dynamic: bool = False) -> List[Tuple[int, int, int]]:
    """The export size, and with a dynamic graph two others: a smaller
    non-square one and a larger one with odd sides, at another batch."""
    h, w = input_size
    shapes = [(batch_size, h, w)]
    if dynamic:
        shapes += [(batch_size + 2, max(32, h * 7 // 8), w * 9 // 8 + 8),
                   (1, h * 3 // 2 - 3, w * 9 // 4 + 13)]
    return shapes
