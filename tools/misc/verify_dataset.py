# Copyright (c) mmconformer contributors. All rights reserved.
"""Find every image of a config's dataset that cannot be read completely,
before a long run meets it.

Example::

    python tools/misc/verify_dataset.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --split train \\
        --num-process 8 --out-path unreadable.txt

Each file is checked as our configs' loader checks it (the
``checked_image`` backend: empty, not an image, truncated JPEG or PNG) and
decoded as ``LoadImageFromFile`` decodes it, in
``--num-process`` processes with a progress bar. Prints one line per
unreadable file (the file and the problem) and a summary, writes the list
to ``--out-path`` if given, and exits 1 when any file is unreadable.
"""
import argparse
import sys

from mmengine.config import Config, DictAction

from mmconformer.apis import dataset_image_paths
from mmconformer.datasets import find_unreadable_images
from mmconformer.utils import (ToolError, atomic_write, check_files,
                               cli_main)

SPLITS = ('train', 'val', 'test')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="List the unreadable images of a config's dataset",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='config file')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='whose dataloader to check')
    parser.add_argument('--num-process', type=int, default=1,
                        help='processes checking files in parallel')
    parser.add_argument('--out-path', default=None, metavar='OUT.txt',
                        help='also write "path: problem" lines here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser


@cli_main()
def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.num_process < 1:
        parser.error(f'--num-process must be >= 1, got {args.num_process}')
    check_files(args.config)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        paths = dataset_image_paths(cfg, args.split)
    except (OSError, ValueError, KeyError) as err:
        raise ToolError(f'cannot list the {args.split} images: {err}') \
            from err
    bad = find_unreadable_images(paths, args.num_process)
    print()  # the progress bar leaves its last frame without a newline
    for path, problem in bad:
        print(f'{path}: {problem}')
    if args.out_path:
        with atomic_write(args.out_path, 'w') as f:
            f.writelines(f'{path}: {problem}\n' for path, problem in bad)
    print(f'{len(bad)} of {len(paths)} {args.split} images unreadable' if bad
          else f'All {len(paths)} {args.split} images are readable')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
