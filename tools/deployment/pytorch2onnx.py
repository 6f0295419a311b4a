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
import tempfile

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, check_files, cli_main,
                               export_parser, tool_logger)


def build_parser() -> argparse.ArgumentParser:
    parser = export_parser('Export a Conformer classifier to ONNX',
                           '--quantize int8')
    parser.add_argument('--output-file', required=True, metavar='OUT.onnx',
                        help='the ONNX file (written atomically)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='batch of the exported input (with '
                        '--dynamic-export: of the first --verify check)')
    parser.add_argument('--dynamic-export', action='store_true',
                        help='make batch, height and width dynamic')
    parser.add_argument('--opset', type=int, default=18,
                        help='ONNX opset (>= 18)')
    parser.add_argument('--quantize', choices=['int8'], default=None,
                        help="write onnxruntime's int8 QDQ model "
                        '(per-channel weights) instead, calibrated on '
                        '--calib-dir')
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch at the export '
                        'size (and, with --dynamic-export, at two others)')
    return parser


@cli_main(CheckpointError)
def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.quantize is None) != (args.calib_dir is None):
        parser.error('--quantize int8 and --calib-dir go together')
    if args.quantize and args.dynamic_export:
        parser.error('--quantize int8 needs a graph of static shape, which '
                     "onnxruntime's quantizer can prepare: drop "
                     '--dynamic-export (the int8 model then runs at --shape)')
    if args.quantize and args.batch_size != 1:
        parser.error('--quantize calibrates the static graph image by '
                     'image: use --batch-size 1')
    check_files(args.config, args.checkpoint, urls=True)
    from mmconformer.apis import (default_verify_shapes, export_onnx,
                                  find_images, load_classifier,
                                  onnx_calibration_pixels, verify_onnx)
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
                                args.cfg_options, strict=not args.non_strict)
    except CheckpointError as err:
        if err.reason != 'layout':
            raise
        raise ToolError(f'the checkpoint does not fit the config '
                        f'{args.config}: {err}') from err
    with tempfile.TemporaryDirectory() as tmp:
        fp32_file = osp.join(tmp, 'fp32.onnx') if args.quantize else \
            args.output_file
        try:
            pixels = onnx_calibration_pixels(model, find_images(
                args.calib_dir, args.calib_images), 1, args.shape) \
                if args.quantize else None
            outputs = export_onnx(model, fp32_file, tuple(args.shape),
                                  args.batch_size, args.dynamic_export,
                                  args.opset)
            if args.quantize:
                from mmconformer.apis import quantize_onnx_int8
                quantize_onnx_int8(fp32_file, args.output_file,
                                   [p.numpy() for p in pixels])
        except (TypeError, ValueError) as err:
            raise ToolError(str(err)) from err
    size = osp.getsize(args.output_file) / 2**20
    axes = 'dynamic batch, height and width' if args.dynamic_export else \
        f'static {args.batch_size}x3x{args.shape[0]}x{args.shape[1]}'
    kind = f', int8 QDQ calibrated on {sum(len(p) for p in pixels)} ' \
        f'images' if args.quantize else ''
    print(f'Wrote {args.output_file} ({size:.1f} MiB, opset {args.opset}, '
          f'{axes}{kind}): input "input" float32 NCHW RGB 0..255 -> '
          f'{", ".join(outputs)}')
    if args.verify:
        if args.quantize:  # random pixels say nothing of an int8 model
            rows = verify_onnx(model, args.output_file, pixels=pixels)
            where = 'on the {} calibration images'.format(
                sum(len(p) for p in pixels))
            counts = [len(p) for p in pixels]
            agreement = ', top-1 agreement {:.1%}'.format(sum(
                r['top1_agreement'] * n for r, n in zip(rows, counts)) /
                sum(counts)) if 'top1_agreement' in rows[0] else ''
            print(f'onnxruntime int8 vs PyTorch fp32 {where}: max abs diff '
                  f'{max(r["max_abs"] for r in rows):.3g}, max rel diff '
                  f'{max(r["max_rel"] for r in rows):.3g}{agreement}')
            return 0
        shapes = default_verify_shapes(tuple(args.shape), args.batch_size,
                                       args.dynamic_export)
        for row in verify_onnx(model, args.output_file, shapes):
            print('onnxruntime vs PyTorch at {}: max abs diff {:.3g}, max '
                  'rel diff {:.3g}'.format('x'.join(map(str, row['shape'])),
                                           row['max_abs'], row['max_rel']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
