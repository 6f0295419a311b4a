# Copyright (c) mmconformer contributors. All rights reserved.
"""Classify images with a config and a checkpoint.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] [--device cpu]

Prints one line per image: the path, the class name (from the dataset meta
stored in the checkpoint) and the score.
"""
import argparse
import os.path as osp
import sys

import mmconformer  # noqa: F401  (registers models; safe checkpoint types)
from mmconformer.utils import silence_known_warnings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Classify images')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('images', nargs='+', metavar='IMAGE',
                        help='image files')
    parser.add_argument('--device', default=None,
                        help='device, e.g. cpu or cuda:0 (default: auto)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    silence_known_warnings()
    args = parse_args(argv)
    for path in [args.config, args.checkpoint, *args.images]:
        if not osp.isfile(path):
            print(f'error: file not found: {path}', file=sys.stderr)
            return 1
    from mmpretrain.apis import ImageClassificationInferencer
    inferencer = ImageClassificationInferencer(
        model=args.config, pretrained=args.checkpoint, device=args.device)
    classes = inferencer.classes
    if not classes:
        print('warning: the checkpoint stores no class names; printing '
              'class indices', file=sys.stderr)
    results = inferencer(args.images)
    if not sys.stdout.isatty():
        print()  # the progress bar leaves its last frame without a newline
    for path, result in zip(args.images, results):
        name = result.get('pred_class') or str(result['pred_label'])
        print(f'{path}\t{name}\t{result["pred_score"]:.4f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
