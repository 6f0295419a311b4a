# Copyright (c) mmconformer contributors. All rights reserved.
"""Where int8 inference spends its time: what the quantized graph keeps in
floating point, and a kernel profile of the compiled int8 path, by kernel
category."""
import collections
from typing import Callable, Dict, Iterable, List, Optional

import torch
import torch.nn as nn

from .steps import BenchmarkSpec, openvino_compiled, sample_batch
from .variants import build_models

__all__ = ['KERNEL_CATEGORIES', 'graph_census', 'int8_profile_report',
           'kernel_category', 'profile_int8', 'profile_openvino_int8']

#: Kernel categories, tried in order on the profiler's event name.
KERNEL_CATEGORIES = (
    ('int8 linear', ('qlinear', )),
    ('int8 conv', ('qconv', )),
    ('float attention matmul', ('bmm', 'matmul')),
    ('softmax', ('softmax', )),
    ('layer norm', ('layer_norm', )),
    ('GELU', ('gelu', )),
    ('other fused (add, (de)quantize, pooling)', ('cpp_fused', )),
)


def _op_name(target) -> str:
    """``'conv2d'`` for ``aten.conv2d.default``, ``'quantize_per_tensor'``
    for ``quantized_decomposed.quantize_per_tensor.default``."""
    parts = str(target).split('.')
    return parts[-2] if len(parts) >= 3 else getattr(target, '__name__',
                                                     str(target))


def graph_census(graph_module: torch.fx.GraphModule) -> Dict:
    """Count what a PT2E-converted graph runs in int8 and in float.

    Args:
        graph_module (torch.fx.GraphModule): The output of
            ``convert_pt2e`` (``QuantizedModule.quantized``).

    Returns:
        dict: ``quantize`` and ``dequantize`` (per-tensor activation
        nodes), ``int8_weights`` (per-channel weight dequantizations),
        ``int8_conv`` and ``int8_linear`` (the layers reading them) and
        ``float`` (counts of the float ops that stay: attention matmuls,
        two per fused attention op, norms, softmax, GELU, adds), nested
        graphs included.
    """
    names = collections.Counter()
    int8_layers = collections.Counter()
    # nested graphs too: torch.export keeps a region that turns autocast
    # off (our attention's matmuls) as a submodule of a higher-order op
    for module in graph_module.modules():
        if not isinstance(module, torch.fx.GraphModule):
            continue
        for node in module.graph.nodes:
            if node.op != 'call_function':
                continue
            name = _op_name(node.target)
            names[name] += 1
            if name == 'dequantize_per_channel':
                for user in node.users:
                    int8_layers[_op_name(user.target)] += 1
    return dict(
        quantize=names['quantize_per_tensor'],
        dequantize=names['dequantize_per_tensor'],
        int8_weights=names['dequantize_per_channel'],
        int8_conv=sum(n for op, n in int8_layers.items() if 'conv' in op),
        int8_linear=sum(n for op, n in int8_layers.items()
                        if 'linear' in op),
        float=dict(
            attention_matmul=names['matmul'] + names['bmm'] +
            2 * names['scaled_dot_product_attention'],
            layer_norm=names['layer_norm'],
            softmax=names['softmax'] + names['_softmax'],
            gelu=names['gelu'],
            add=names['add']))


def kernel_category(name: str) -> str:
    """The :data:`KERNEL_CATEGORIES` entry of a profiler event name, or
    ``'other'``."""
    lowered = name.lower()
    for category, keys in KERNEL_CATEGORIES:
        if any(key in lowered for key in keys):
            return category
    return 'other'


def profile_int8(model: nn.Module,
                 inputs: torch.Tensor,
                 calibration: Iterable[torch.Tensor],
                 repeats: int = 3) -> Dict:
    """Quantize ``model`` as ``optimize_for_inference(dtype='int8')`` does,
    count its graph (:func:`graph_census`) and profile ``repeats`` compiled
    forwards, with Inductor's kernel profiling on and its C++ wrapper off
    (so that the profiler sees each generated kernel).

    Args:
        model (nn.Module): A classifier with a ``ConformerBackbone``, on the
            CPU.
        inputs (Tensor): The batch to profile, after the data preprocessor.
        calibration (Iterable[Tensor]): As for
            :func:`~mmconformer.apis.optimize_for_inference`.
        repeats (int): Profiled forwards, after two untimed ones (the first
            compiles). Defaults to 3.

    Returns:
        dict: ``census``; ``kernels``, one ``{'category', 'ms',
        'share'}`` per category, slowest first (``ms`` per forward, self
        CPU time); ``ms_per_forward``; ``batch_size`` and ``input_size``.
    """
    from ...apis import QuantizedModule
    from ...apis.fast_inference import FrozenCompiled, optimize_for_inference
    if repeats <= 0:
        raise ValueError(f'repeats must be positive, got {repeats}')
    fast = optimize_for_inference(
        model, 'int8', compile=False, calibration=calibration)
    census = graph_census(next(m for m in fast.backbone.modules()
                               if isinstance(m, QuantizedModule)).quantized)
    fast.backbone = FrozenCompiled(
        fast.backbone, inductor_options={
            'cpp_wrapper': False,
            'cpp.enable_kernel_profile': True
        })
    with torch.no_grad():
        for _ in range(2):
            fast(inputs, mode='tensor')
        with torch.profiler.profile() as prof:
            for _ in range(repeats):
                fast(inputs, mode='tensor')
    totals: Dict[str, float] = collections.Counter()
    for event in prof.key_averages():
        # '## ... ##' and 'Compiled...' events enclose the kernels
        if event.key.startswith('##') or 'Compiled' in event.key:
            continue
        totals[kernel_category(event.key)] += event.self_cpu_time_total / 1e3
    return dict(census=census, **_per_forward(totals, repeats),
                batch_size=inputs.shape[0],
                input_size=list(inputs.shape[-2:]))


def profile_openvino_int8(model: nn.Module, inputs: torch.Tensor,
                          repeats: int = 3) -> Dict:
    """OpenVINO's own per-layer counters (``PERF_COUNT``) for the NNCF int8
    IR of ``model`` (:func:`~mmconformer.apis.export_openvino`, calibrated
    on ``inputs``), at this process's thread count: the time of each node
    type of its CPU plugin (``FullyConnected``, ``Convolution``, ``MatMul``,
    ``MVN``, ``Eltwise``, ``Reorder``...), summed over its nodes.

    Returns:
        dict: ``kernels``, one ``{'category', 'ms', 'share'}`` per node
        type, slowest first (``ms`` per forward); ``ms_per_forward``.
    """
    pixels = inputs.cpu().contiguous().numpy()
    compiled = openvino_compiled(model, inputs, 'int8', PERF_COUNT=True)
    request = compiled.create_infer_request()
    for _ in range(2):
        request.infer([pixels])
    totals: Dict[str, float] = collections.Counter()
    for _ in range(repeats):
        request.infer([pixels])
        for layer in request.get_profiling_info():
            totals[layer.node_type] += layer.real_time.total_seconds() * 1e3
    return _per_forward(totals, repeats)


def _per_forward(totals: Dict[str, float], repeats: int) -> Dict:
    """``kernels`` (``{'category', 'ms', 'share'}`` per category of
    ``totals``, milliseconds over ``repeats`` forwards, slowest first) and
    ``ms_per_forward``."""
    total = sum(totals.values())
    kernels: List[Dict] = [
        dict(category=name, ms=ms / repeats, share=ms / total)
        for name, ms in sorted(totals.items(), key=lambda kv: -kv[1])
        if ms > 0
    ]
    return dict(kernels=kernels, ms_per_forward=total / repeats)


def int8_profile_report(spec: BenchmarkSpec,
                        log: Optional[Callable[[str], None]] = None) -> Dict:
    """:func:`profile_int8` of our model of ``spec`` on its batch,
    calibrated on that batch as the benchmark's int8 rows are (its variants
    are ignored; ``spec.repeats`` forwards are profiled), and, where OpenVINO
    is installed, :func:`profile_openvino_int8` of the same model and
    batch. CPU only.

    Returns:
        dict: ``kind: 'int8_profile'``, what :func:`profile_int8` returns,
        and ``openvino`` (or None).
    """
    from ...utils import onnxruntime_available, openvino_available
    if spec.device != 'cpu':
        raise ValueError(f'int8 runs on x86 CPUs; got --device {spec.device}')
    log = log or (lambda message: None)
    model = build_models(spec.model_cfg, ())['mmconformer']
    inputs, _ = sample_batch(spec, 1)
    log('profiling the int8 fast path (the first forward compiles)')
    report = dict(kind='int8_profile',
                  **profile_int8(model, inputs, [inputs],
                                 repeats=spec.repeats), openvino=None)
    if openvino_available() and onnxruntime_available():
        log("profiling OpenVINO's int8 IR (NNCF) with its own counters")
        report['openvino'] = profile_openvino_int8(model, inputs,
                                                   spec.repeats)
    return report
