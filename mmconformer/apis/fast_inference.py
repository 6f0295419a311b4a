# Copyright (c) mmconformer contributors. All rights reserved.
"""A fast inference copy of a Conformer classifier.

:func:`optimize_for_inference` folds conv + BN, keeps channels_last, runs
the backbone in reduced precision where the hardware computes it natively,
and compiles it with Inductor's freezing (weights become constants, so
Inductor can pre-pack them and fold the casts). The result is the same
``ImageClassifier``: tensor mode, ``predict`` and mmpretrain's Inferencer
work as before.
"""
import copy
import logging
from typing import Any, Iterable, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from ..models.layers.fuse_conv_bn import fuse_conv_bn
from .delegating_module import DelegatingModule
from .dtype_recommendation import int8_advice, recommended_dtype
from ..utils.cpu_features import has_int8_dot_product, has_native_bf16

__all__ = [
    'DTYPES', 'AutocastModule', 'FrozenCompiled', 'optimize_for_inference',
    'resolve_dtype'
]

#: What ``dtype`` can ask for.
DTYPES = ('bf16', 'fp16', 'fp32', 'int8')


def resolve_dtype(dtype: str,
                  device: torch.device) -> Tuple[Optional[torch.dtype], str]:
    """What a request runs in on a device, and why.

    - ``'fp32'`` runs in fp32.
    - ``'bf16'``: on a CPU in bf16 where AMX or AVX512-BF16 compute it
      (oneDNN emulates bf16 elsewhere, slower than fp32), else in fp32; on
      a CUDA GPU in bf16 where the GPU computes it (Ampere and newer, as
      ``torch.cuda.is_bf16_supported()`` says), else in fp16, the half
      precision every CUDA GPU computes; on another accelerator in fp16.
    - ``'fp16'``: fp16 on an accelerator; on a CPU, which has no fast fp16
      units but AMX-FP16, fp32.
    - ``'int8'``: int8 on a CPU (static quantization), for CPUs with int8
      dot-product units (AMX-INT8, AVX512-VNNI,
      AVX-VNNI); refused on other devices.

    Args:
        dtype (str): One of :data:`DTYPES`.
        device (torch.device): Where the model lives.

    Returns:
        tuple: ``(torch dtype, reason)``; the dtype is None for fp32 and
        ``torch.int8`` for int8 (not an autocast dtype).

    Raises:
        ValueError: an unknown dtype, or int8 on an accelerator.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {list(DTYPES)}, got '
                         f'{dtype!r}')
    if dtype == 'fp32':
        return None, 'fp32, as asked'
    if dtype == 'int8':
        if device.type != 'cpu':
            raise ValueError(f"dtype='int8' runs on x86 CPUs (oneDNN's int8 "
                             f'kernels), not on {device.type}')
        return torch.int8, ('int8: the CPU has int8 dot-product units' if
                            has_int8_dot_product() else
                            'int8: this CPU has no int8 dot-product units '
                            '(AMX-INT8, AVX512-VNNI, AVX-VNNI), so int8 may '
                            'be no faster than fp32')
    if device.type == 'cuda' and dtype == 'bf16':
        if torch.cuda.is_bf16_supported(including_emulation=False):
            return torch.bfloat16, 'bf16 autocast: the GPU computes bf16'
        return torch.float16, ('fp16 autocast: this GPU does not compute '
                               'bf16 (before Ampere); fp16 is its half '
                               'precision')
    if device.type != 'cpu':
        return torch.float16, f'fp16 autocast on {device.type}'
    if dtype == 'fp16':
        return None, ('fp32: CPUs compute fp16 no faster than fp32; ask for '
                      'bf16')
    if has_native_bf16():
        return torch.bfloat16, 'bf16 autocast: the CPU has AMX or ' \
            'AVX512-BF16'
    return None, ('fp32: this CPU has neither AMX nor AVX512-BF16, so bf16 '
                  'would be emulated (slower than fp32)')


def _to_float(out: Any) -> Any:
    if torch.is_tensor(out):
        return out.float() if out.is_floating_point() else out
    if isinstance(out, (tuple, list)):
        return type(out)(_to_float(o) for o in out)
    return out


class AutocastModule(DelegatingModule):
    """Run ``module`` under ``torch.autocast`` and hand back float32.

    Attributes the wrapper does not have are read from ``module``, so code
    that inspects ``model.backbone`` keeps working.

    Args:
        module (nn.Module): The module to run.
        device_type (str): ``'cpu'`` or ``'cuda'``.
        dtype (torch.dtype): ``torch.bfloat16`` or ``torch.float16``.
    """

    def __init__(self, module: nn.Module, device_type: str,
                 dtype: torch.dtype) -> None:
        super().__init__()
        self.module = module
        self.device_type = device_type
        self.dtype = dtype

    def forward(self, *args, **kwargs):
        with torch.autocast(self.device_type, dtype=self.dtype):
            out = self.module(*args, **kwargs)
        return _to_float(out)


class FrozenCompiled(DelegatingModule):
    """``module`` compiled by Inductor with freezing (its weights become
    constants, which Inductor pre-packs and folds casts and quantization
    into), answering attribute lookups with ``module``'s.

    Inductor reads its ``freezing`` flag when it compiles, at the first
    call of each input shape; int8's weight packing is only lowered when
    the global flag is on (``torch.compile``'s ``options`` do not reach
    it), so every call runs under ``torch._inductor.config.patch``, which
    also turns on Inductor's C++ wrapper: the compiled graph is called from
    C++ instead of Python, which matters at small batches.

    Args:
        module (nn.Module): What to compile.
        dynamic (bool, optional): ``torch.compile``'s ``dynamic``. Defaults
            to False (the C++ wrapper needs static shapes).
        inductor_options (dict, optional): More Inductor settings for the
            calls, over the two above (a profile turns the C++ wrapper off
            and kernel profiling on, so that the profiler sees each
            kernel). Defaults to None.
    """

    def __init__(self,
                 module: nn.Module,
                 dynamic: Optional[bool] = False,
                 inductor_options: Optional[dict] = None) -> None:
        super().__init__()
        self.module = module
        # Inductor's C++ wrapper fails to generate code for symbolic shapes
        # in torch 2.14 (TensorReferenceAnalysis has no python_mod): it is
        # on for static graphs only
        self.inductor_options = {'freezing': True,
                                 'cpp_wrapper': dynamic is False,
                                 **(inductor_options or {})}
        # not a submodule: the weights stay registered once, under `module`
        object.__setattr__(self, '_compiled',
                           torch.compile(module, dynamic=dynamic))

    def forward(self, *args, **kwargs):
        import torch._inductor.config as inductor_config
        with inductor_config.patch(self.inductor_options):
            return self._compiled(*args, **kwargs)


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def optimize_for_inference(
        model: nn.Module,
        dtype: str = 'bf16',
        compile: bool = True,
        dynamic: Optional[bool] = False,
        calibration: Optional[Iterable[torch.Tensor]] = None) -> nn.Module:
    """A fast inference copy of a Conformer classifier.

    Steps, on a deep copy (``model`` is left as it is):

    1. eval mode; conv + BN folded: by :func:`fuse_conv_bn` in fp32 and
       int8, and in reduced precision by Inductor's freezing, which folds
       them in fp32 before the casts (folding first and casting the folded
       weights doubles the logits' bf16 error at the same speed);
       uncompiled reduced precision keeps the BatchNorms;
    2. the backbone's weights and maps in channels_last;
    3. the backbone in the dtype :func:`resolve_dtype` picks (logged, with
       the reason): under autocast for bf16 and fp16; for int8, quantized
       statically (:func:`~mmconformer.apis.quantize_int8`: the
       convolutions and linear layers on int8 activations, weights per
       output channel) after running ``calibration`` through it; what stays
       in floating point (attention matmuls, norms, softmax, GELU) runs
       under bf16 autocast where the CPU computes bf16 natively (PyTorch's
       int8-mixed-bf16); the heads stay float32;
    4. the backbone compiled by Inductor with ``freezing`` (weights become
       constants: later changes to the copy's weights are not seen).

    Args:
        model (nn.Module): An ``ImageClassifier`` with a
            ``ConformerBackbone`` (on its target device).
        dtype (str): ``'bf16'`` (reduced precision where the hardware has
            it), ``'fp16'``, ``'fp32'``, ``'int8'`` (x86 CPUs; needs
            ``calibration``; a warning where the benchmark tables of the
            CPU's class recommend another dtype) or ``'auto'`` (the dtype
            those tables recommend, int8 only with ``calibration``:
            :func:`~.dtype_recommendation.recommended_dtype`). See
            :func:`resolve_dtype`. Defaults to ``'bf16'``.
        compile (bool): Compile the backbone. Defaults to True. The first
            call per input shape compiles (the benchmarks' "first call"
            column);
            freezing takes effect under ``torch.no_grad()``, as ``predict``
            and the Inferencer run.
        dynamic (bool, optional): ``torch.compile``'s ``dynamic``. Defaults
            to False: one graph per input shape, called through Inductor's
            C++ wrapper (faster at small batches); True or None (dynamic
            after a second shape) turn the C++ wrapper off, which torch
            2.14 cannot generate for symbolic shapes.
        calibration (Iterable[Tensor], optional): For int8: batches of
            model inputs, after the data preprocessor (e.g. from
            :func:`~mmconformer.apis.calibration_batches` through
            ``model.data_preprocessor``). A few dozen images of the task
            suffice. Defaults to None.

    Returns:
        nn.Module: The optimised copy, in eval mode, with the same
        interface (``model(x, mode='tensor')``, ``predict``).
    """
    from ..models import ConformerBackbone
    if not isinstance(getattr(model, 'backbone', None), ConformerBackbone):
        raise TypeError('optimize_for_inference needs a classifier whose '
                        'backbone is a ConformerBackbone, got '
                        f'{type(getattr(model, "backbone", model)).__name__}')
    device = _model_device(model)
    why = ''
    if dtype == 'auto':
        dtype, why = recommended_dtype(device, calibration is not None)
        why += '; '
    elif dtype == 'int8' and device.type == 'cpu' and int8_advice():
        print_log(f'optimize_for_inference: {int8_advice()}',
                  logger='current', level=logging.WARNING)
    run_dtype, reason = resolve_dtype(dtype, device)
    reason = why + reason
    if run_dtype is torch.int8 and calibration is None:
        raise ValueError("dtype='int8' needs calibration images: pass "
                         'calibration= (batches of preprocessed inputs)')
    fast = copy.deepcopy(model).eval()
    if run_dtype in (None, torch.int8):
        fuse_conv_bn(fast, inplace=True)
    backbone = fast.backbone
    backbone.channels_last = True
    backbone.to(memory_format=torch.channels_last)
    core: nn.Module = backbone
    if run_dtype is torch.int8:
        from .quantization import quantize_int8
        core = quantize_int8(backbone, calibration)
        if has_native_bf16():
            # int8-mixed-bf16: what int8 leaves in floating point (the
            # dequantized attention matmuls, norms, activations) runs in
            # bf16
            core = AutocastModule(core, 'cpu', torch.bfloat16)
            reason += '; the rest in bf16 (the CPU has AMX or AVX512-BF16)'
    elif run_dtype is not None:
        core = AutocastModule(backbone, device.type, run_dtype)
    if compile:
        core = FrozenCompiled(core, dynamic)
    fast.backbone = core
    folded = 'conv+BN folded' if run_dtype in (None, torch.int8) else \
        'conv+BN folded by Inductor' if compile else 'BatchNorm kept'
    print_log(f'optimize_for_inference: {reason}; {folded}, channels_last, '
              f'{"compiled with freezing" if compile else "not compiled"}',
              logger='current')
    return fast.eval()
