# Copyright (c) mmconformer contributors. All rights reserved.
"""Where int8 inference spends its time: what our quantized graph keeps in
floating point, our compiled int8 fast path's kernels by category, and,
where OpenVINO is installed, its NNCF int8 IR of the same model by its own
per-layer counters (``PERF_COUNT``). A diagnostic, not library code: the
docs' "int8: where the time goes" tables are its JSON. Example::

    python tools/analysis_tools/profile_int8.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --isa avx512_core_vnni \\
        --json docs/benchmarks/tiny-p16_cpu_int8_profile_avx512_core_vnni.json
"""
import argparse
import collections
import functools
import json
import os
import os.path as osp
import sys
from typing import Dict

from mmconformer.utils import (ISA_CAPS, ToolError, atomic_write, cli_main,
                               int_at_least, run_capped, tool_logger)

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


def kernel_category(name: str) -> str:
    """The :data:`KERNEL_CATEGORIES` entry of a profiler event name, or
    ``'other'``."""
    return next((category for category, keys in KERNEL_CATEGORIES
                 if any(key in name.lower() for key in keys)), 'other')


def graph_census(graph_module) -> Dict:
    """Count what a PT2E-converted graph (``QuantizedModule.quantized``)
    runs in int8 and in float, nested graphs included (torch.export keeps a
    region that turns autocast off, our attention's matmuls, as one):
    ``quantize`` / ``dequantize`` (per-tensor activation nodes),
    ``int8_weights`` (per-channel weight dequantizations), ``int8_conv`` /
    ``int8_linear`` (the layers reading them) and ``float`` (the float ops
    that stay: attention matmuls, two per fused attention op, norms,
    softmax, GELU, adds)."""
    import torch
    names, int8_layers = collections.Counter(), collections.Counter()

    def name(target) -> str:  # 'conv2d' for aten.conv2d.default
        parts = str(target).split('.')
        return parts[-2] if len(parts) >= 3 else getattr(
            target, '__name__', str(target))

    for module in graph_module.modules():
        if not isinstance(module, torch.fx.GraphModule):
            continue
        for node in module.graph.nodes:
            if node.op == 'call_function':
                names[name(node.target)] += 1
                if name(node.target) == 'dequantize_per_channel':
                    int8_layers.update(name(u.target) for u in node.users)
    return dict(
        quantize=names['quantize_per_tensor'],
        dequantize=names['dequantize_per_tensor'],
        int8_weights=names['dequantize_per_channel'],
        **{f'int8_{kind}': sum(n for op, n in int8_layers.items()
                               if kind in op) for kind in ('conv', 'linear')},
        float=dict(
            attention_matmul=names['matmul'] + names['bmm'] +
            2 * names['scaled_dot_product_attention'],
            layer_norm=names['layer_norm'],
            softmax=names['softmax'] + names['_softmax'],
            gelu=names['gelu'], add=names['add']))


def per_forward(totals: Dict[str, float], repeats: int) -> Dict:
    """``kernels`` (``{'category', 'ms', 'share'}`` per key of ``totals``,
    ms per forward, slowest first) and ``ms_per_forward``."""
    total = sum(totals.values())
    return dict(kernels=[
        dict(category=name, ms=ms / repeats, share=ms / total)
        for name, ms in sorted(totals.items(), key=lambda kv: -kv[1]) if ms
    ], ms_per_forward=total / repeats)


def profile_ours(model, inputs, repeats: int) -> Dict:
    """Quantize ``model`` as ``optimize_for_inference(dtype='int8')`` does,
    calibrated on ``inputs``, count its graph and profile ``repeats``
    compiled forwards after two untimed ones, with Inductor's kernel
    profiling on and its C++ wrapper off (so that the profiler sees each
    generated kernel): self CPU time per kernel category."""
    import torch

    from mmconformer.apis import QuantizedModule
    from mmconformer.apis.fast_inference import (FrozenCompiled,
                                                 optimize_for_inference)
    fast = optimize_for_inference(model, 'int8', compile=False,
                                  calibration=[inputs])
    census = graph_census(next(m for m in fast.backbone.modules()
                               if isinstance(m, QuantizedModule)).quantized)
    # the profiler's C++ side (kineto) prints its stages to stderr otherwise
    os.environ.setdefault('KINETO_LOG_LEVEL', '6')
    fast.backbone = FrozenCompiled(fast.backbone, inductor_options={
        'cpp_wrapper': False, 'cpp.enable_kernel_profile': True})
    with torch.no_grad():
        for _ in range(2):
            fast(inputs, mode='tensor')
        with torch.profiler.profile() as prof:
            for _ in range(repeats):
                fast(inputs, mode='tensor')
    totals = collections.Counter()
    for event in prof.key_averages():
        # '## ... ##' and 'Compiled...' events enclose the kernels
        if not event.key.startswith('##') and 'Compiled' not in event.key:
            totals[kernel_category(event.key)] += \
                event.self_cpu_time_total / 1e3
    return dict(census=census, **per_forward(totals, repeats),
                batch_size=inputs.shape[0],
                input_size=list(inputs.shape[-2:]))


def profile_openvino(model, inputs, repeats: int) -> Dict:
    """OpenVINO's ``PERF_COUNT`` for the NNCF int8 IR of ``model``
    calibrated on ``inputs``, summed per node type of its CPU plugin
    (``FullyConnected``, ``MatMul``, ``MVN``, ``Reorder``...)."""
    from mmconformer.analysis.benchmark import exported_sessions
    pixels = inputs.numpy()
    compiled = exported_sessions('openvino', model, inputs, ['int8'],
                                 PERF_COUNT=True)['int8']
    request = compiled.create_infer_request()
    for _ in range(2):
        request.infer([pixels])
    totals = collections.Counter()
    for _ in range(repeats):
        request.infer([pixels])
        for layer in request.get_profiling_info():
            totals[layer.node_type] += layer.real_time.total_seconds() * 1e3
    return per_forward(totals, repeats)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description='Where the int8 fast path (and OpenVINO\'s int8 IR) '
        'spends its time', allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('config', help='our classifier config')
    p.add_argument('--batch-size', type=int_at_least(1), default=8)
    p.add_argument('--input-size', type=int_at_least(32), default=224,
                   help='square images of this side')
    p.add_argument('--repeats', type=int_at_least(1), default=5,
                   help='profiled forwards')
    p.add_argument('--isa', choices=[*ISA_CAPS, 'native'], default='native',
                   help="profile on an older CPU class's instructions")
    p.add_argument('--json', metavar='OUT.json', help='the report')
    return p


@cli_main()
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if not osp.isfile(args.config):
        raise ToolError(f'config not found: {args.config}')
    code = run_capped(osp.abspath(__file__), argv, args.isa)
    if code is not None:  # it ran again, capped, in a new process
        return code
    import torch
    from mmengine.config import Config
    from mmengine.logging import print_log

    from mmconformer.analysis.benchmark import build_models
    from mmconformer.utils import (onnxruntime_available, openvino_available,
                                   provenance)
    log = functools.partial(print_log,
                            logger=tool_logger('profile-int8', 'INFO'))
    model = build_models(Config.fromfile(args.config).model.to_dict(),
                         ())['mmconformer']
    inputs = torch.randn(args.batch_size, 3, args.input_size,
                         args.input_size,
                         generator=torch.Generator().manual_seed(0))
    log('profiling the int8 fast path (the first forward compiles)')
    report = dict(provenance(' '.join(
        ['python tools/analysis_tools/profile_int8.py'] + argv)),
        kind='int8_profile', **profile_ours(model, inputs, args.repeats),
        openvino=None)
    if openvino_available() and onnxruntime_available():
        log("profiling OpenVINO's int8 IR (NNCF) with its own counters")
        report['openvino'] = profile_openvino(model, inputs, args.repeats)
    for who, part in [('ours', report), ('OpenVINO', report['openvino'])]:
        for k in (part or {}).get('kernels', []):
            print(f'{who:<9}{k["category"]:<40} {k["ms"]:8.1f} ms '
                  f'{100 * k["share"]:5.1f}%')
    print(f'Machine: {report["machine"]}')
    if args.json:
        with atomic_write(args.json, 'w') as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
