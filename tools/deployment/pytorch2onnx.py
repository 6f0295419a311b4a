# Copyright (c) mmconformer contributors. All rights reserved.
"""Export a Conformer classifier (or its dense backbone) to ONNX.

Examples::

    python tools/deployment/pytorch2onnx.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py tiny.pth \\
        --output-file tiny.onnx --dynamic-export --verify
    # the dense backbone: feature maps of blocks 4, 8, 11 and 12
    python tools/deployment/pytorch2onnx.py CONFIG CKPT --output-file f.onnx \\
        --cfg-options model.backbone.out_type=featmap \\
        model.backbone.out_indices=[4,8,11,12]

The graph's input is ``input``: float32 NCHW RGB in 0..255 (normalisation
inside). Its output is ``logits``, the sum of both branches' logits, or for
``out_type='featmap'`` the maps ``conv_<block>`` / ``trans_<block>``. A thin
command line over :mod:`mmconformer.apis.onnx_export`.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import ToolError, check_files, cli_main, tool_logger


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Export a Conformer classifier to ONNX',
        allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file (ours, '
                        "mmpretrain's or the official layout)")
    parser.add_argument('--output-file', required=True, metavar='OUT.onnx',
                        help='the ONNX file (written atomically)')
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224],
                        metavar=('H', 'W'), help='input size to export at')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch of the exported input (with '
                        '--dynamic-export: of the first --verify check)')
    parser.add_argument('--dynamic-export', action='store_true',
                        help='make batch, height and width dynamic')
    parser.add_argument('--opset', type=int, default=18,
                        help='ONNX opset (>= 18)')
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch at the export '
                        'size (and, with --dynamic-export, at two others)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    check_files(args.config, args.checkpoint, urls=True)
    from mmconformer.apis import (default_verify_shapes, export_onnx,
                                  load_classifier, verify_onnx)
    try:
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as err:
        raise ToolError(f'{err.name} is not installed; pip install '
                        f'"mmconformer[deploy]" (onnx, onnxscript, '
                        f'onnxruntime)') from err
    tool_logger('pytorch2onnx')
    try:
        model = load_classifier(args.config, args.checkpoint,
                                args.cfg_options)
    except CheckpointError as err:
        if err.reason != 'layout':
            raise
        raise ToolError(f'the checkpoint does not fit the config '
                        f'{args.config}: {err}') from err
    try:
        outputs = export_onnx(model, args.output_file, tuple(args.shape),
                              args.batch_size, args.dynamic_export,
                              args.opset)
    except (TypeError, ValueError) as err:
        raise ToolError(str(err)) from err
    size = osp.getsize(args.output_file) / 2**20
    axes = 'dynamic batch, height and width' if args.dynamic_export else \
        f'static {args.batch_size}x3x{args.shape[0]}x{args.shape[1]}'
    print(f'Wrote {args.output_file} ({size:.1f} MiB, opset {args.opset}, '
          f'{axes}): input "input" float32 NCHW RGB 0..255 -> '
          f'{", ".join(outputs)}')
    if args.verify:
        shapes = default_verify_shapes(tuple(args.shape), args.batch_size,
                                       args.dynamic_export)
        for row in verify_onnx(model, args.output_file, shapes):
            print('onnxruntime vs PyTorch at {}: max abs diff {:.3g}, max '
                  'rel diff {:.3g}'.format('x'.join(map(str, row['shape'])),
                                           row['max_abs'], row['max_rel']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
