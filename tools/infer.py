# Copyright (c) mmconformer contributors. All rights reserved.
"""Classify images with a config and a checkpoint.

Example::

    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] \\
        [--device cpu] [--fast [auto|bf16|fp16|fp32|int8]] [--batch-size N]
    # the fastest dtype on this CPU class, int8 where it pays, calibrated on
    # 64 images of a folder of your task's images
    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] \\
        --fast --calib-dir DIR
    # an OpenVINO IR of the same model (tools/deployment/pytorch2openvino.py)
    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] \\
        --openvino tiny.xml

Prints one line per image: the path, the class name (from the dataset meta
stored in the checkpoint) and the score. The checkpoint must fit the config
(every weight, every shape); an official-layout checkpoint is converted on
the fly. ``--fast`` classifies with
:func:`mmconformer.apis.optimize_for_inference` (conv+BN folded,
channels_last, reduced precision where it pays, compiled with freezing):
worth its compile time (tens of seconds) for many images. ``--fast`` alone
(``auto``) runs in the dtype the benchmark tables of this CPU's class
measured fastest (:func:`mmconformer.apis.recommended_dtype`, logged with
the reason), int8 only with ``--calib-dir``. int8 quantizes the backbone
statically (x86 CPUs), calibrated on images of ``--calib-dir`` prepared by
the config's test pipeline. ``--openvino``
classifies with an OpenVINO IR of the model on the CPU
(:class:`mmconformer.apis.OpenVINOClassifier`), the class names and the
pipeline still coming from the config and checkpoint.
"""
import argparse
import sys

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, add_calibration_args,
                               add_classifier_args, check_device,
                               check_files, cli_main, tool_logger)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Classify images')
    add_classifier_args(parser, cfg_options=False)
    add_calibration_args(parser, 'none: int8 needs it')
    parser.add_argument('images', nargs='+', metavar='IMAGE',
                        help='image files')
    parser.add_argument('--device', default=None,
                        help='device, e.g. cpu or cuda:0 (default: the GPU '
                        'if there is one, else cpu)')
    parser.add_argument('--fast', nargs='?', const='auto', default=None,
                        choices=['auto', 'bf16', 'fp16', 'fp32', 'int8'],
                        help='optimize_for_inference with this dtype '
                        '(--fast alone: auto, the fastest on this CPU class '
                        'in the benchmark tables, int8 only with '
                        '--calib-dir; int8 needs --calib-dir)')
    parser.add_argument('--openvino', default=None, metavar='IR.xml',
                        help='classify with this OpenVINO IR of the model '
                        '(CPU)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images per forward pass')
    args = parser.parse_args(argv)
    if args.openvino and (args.fast or args.device not in (None, 'cpu')):
        parser.error('--openvino runs the IR on the CPU: drop --fast and '
                     '--device')
    if args.fast == 'int8' and args.calib_dir is None:
        parser.error('--fast int8 needs --calib-dir: int8 is calibrated on '
                     'images of your task')
    if args.calib_dir is not None and args.fast not in ('int8', 'auto'):
        parser.error('--calib-dir calibrates --fast int8 or --fast auto, '
                     f'not --fast {args.fast}')
    if args.calib_images < 1:
        parser.error(f'--calib-images must be >= 1, got {args.calib_images}')
    return args


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = parse_args(argv)
    check_files(args.config, args.checkpoint, *args.images)
    device = check_device(args.device)
    from mmpretrain.apis import ImageClassificationInferencer

    from mmconformer.apis import load_classifier
    tool_logger('infer', 'INFO')
    model = load_classifier(args.config, args.checkpoint, device=device,
                            strict=not args.non_strict)
    if args.fast:
        from mmconformer.apis import (calibration_images, calibration_inputs,
                                      optimize_for_inference)
        try:
            calibration = calibration_inputs(model, calibration_images(
                args.calib_dir, args.calib_images)) \
                if args.calib_dir else None
            model = optimize_for_inference(model, args.fast,
                                           calibration=calibration)
        except (ImportError, ValueError) as err:
            raise ToolError(str(err)) from err
    if args.openvino:
        from mmconformer.apis import OpenVINOClassifier
        check_files(args.openvino)
        model = OpenVINOClassifier(model, args.openvino)
    inferencer = ImageClassificationInferencer(model=model)
    if not inferencer.classes:
        print('warning: the checkpoint stores no class names; printing '
              'class indices', file=sys.stderr)
    results = inferencer(args.images, batch_size=args.batch_size)
    if not sys.stdout.isatty():
        print()  # the progress bar leaves its last frame without a newline
    for path, result in zip(args.images, results):
        name = result.get('pred_class') or str(result['pred_label'])
        print(f'{path}\t{name}\t{result["pred_score"]:.4f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
