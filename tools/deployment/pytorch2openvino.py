# Copyright (c) mmconformer contributors. All rights reserved.
"""Write a Conformer classifier as an OpenVINO IR, fp32 or int8.

Examples::

    python tools/deployment/pytorch2openvino.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py tiny.pth tiny.xml --verify
    # int8 (NNCF), calibrated on 300 images of a folder of your task's
    python tools/deployment/pytorch2openvino.py CONFIG CKPT tiny-int8.xml \\
        --int8 --calib-dir data/imagenet/val --calib-images 300 --verify

The IR (``OUT.xml`` and ``OUT.bin``) has the input and output of our ONNX
export: ``input``, float32 NCHW RGB 0..255 (normalisation inside), any
batch at ``--shape``, and ``logits``, the sum of both branches' logits. Run
it with ``openvino.Core().compile_model``, with ``tools/infer.py
--openvino OUT.xml``, or in Python with
:class:`mmconformer.apis.OpenVINOClassifier`. A thin command line over
:mod:`mmconformer.apis.openvino_export`.
"""
import argparse
import os.path as osp
import sys

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, check_files, cli_main,
                               export_parser, openvino_available, tool_logger)


def parse_args(argv=None) -> argparse.Namespace:
    parser = export_parser('Write a Conformer classifier as an OpenVINO IR '
                           '(the batch is dynamic)', '--int8')
    parser.add_argument('output_file', metavar='OUT.xml',
                        help='the IR (OUT.bin beside it; written atomically)')
    parser.add_argument('--int8', action='store_true',
                        help='quantize with NNCF, calibrated on --calib-dir')
    parser.add_argument('--verify', action='store_true',
                        help='compare OpenVINO (fp32 precision) with '
                        'PyTorch: on random pixels, or with --int8 on the '
                        'calibration images')
    args = parser.parse_args(argv)
    if args.int8 != (args.calib_dir is not None):
        parser.error('--int8 and --calib-dir go together: int8 is '
                     'calibrated on images of your task')
    if not args.output_file.endswith('.xml'):
        parser.error(f'OUT.xml must end in .xml, got {args.output_file}')
    if min(args.shape) < 32:
        parser.error(f'--shape must be at least 32 x 32, got {args.shape}')
    return args


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = parse_args(argv)
    check_files(args.config, args.checkpoint, urls=True)
    if not openvino_available():
        raise ToolError('OpenVINO or NNCF is not installed; pip install '
                        '"mmconformer[openvino]"')
    import torch

    from mmconformer.apis import (export_openvino, find_images,
                                  load_classifier, onnx_calibration_pixels,
                                  verify_openvino)
    tool_logger('pytorch2openvino')
    model = load_classifier(args.config, args.checkpoint, args.cfg_options,
                            strict=not args.non_strict)
    try:
        pixels = onnx_calibration_pixels(model, find_images(
            args.calib_dir, args.calib_images), 1, args.shape) \
            if args.int8 else None
        written = export_openvino(
            model, args.output_file, tuple(args.shape),
            None if pixels is None else [p.numpy() for p in pixels])
    except (TypeError, ValueError) as err:
        raise ToolError(str(err)) from err
    size = (osp.getsize(written['xml']) + osp.getsize(written['bin'])) / 2**20
    kind = f'int8 (NNCF), calibrated on {len(pixels)} images' \
        if args.int8 else 'fp32'
    print(f'Wrote {written["xml"]} and {written["bin"]} ({size:.1f} MiB, '
          f'{kind}): input "input" float32 Nx3x{args.shape[0]}x'
          f'{args.shape[1]} RGB 0..255 -> logits')
    if args.verify:
        if pixels is None:
            gen = torch.Generator().manual_seed(0)
            pixels = [torch.rand(n, 3, *args.shape, generator=gen) * 255
                      for n in (1, 2)]
        row = verify_openvino(model, written['xml'], pixels,
                              {'INFERENCE_PRECISION_HINT': 'f32'})
        print(f'OpenVINO {"int8" if args.int8 else "fp32"} vs PyTorch fp32 '
              f'on {sum(len(p) for p in pixels)} images: max abs diff '
              f'{row["max_abs"]:.3g}, max rel diff {row["max_rel"]:.3g}, '
              f'top-1 agreement {row["top1_agreement"]:.1%}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
