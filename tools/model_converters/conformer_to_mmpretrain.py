# Copyright (c) mmconformer contributors. All rights reserved.
"""Convert an official Conformer checkpoint to the mmpretrain layout.

Example::

    python tools/model_converters/conformer_to_mmpretrain.py \
        Conformer_small_patch32.pth conformer-small-p32_official.pth

SRC is ``{'model': state_dict}`` (as the official DeiT-based main.py saves)
or a bare state dict. DST is ``{'state_dict': ..., 'meta': ...}``, written
atomically; on any error nothing is written and the exit status is 1.
"""
import argparse
import sys

from mmconformer.checkpoint import (CheckpointError,
                                    convert_official_state_dict,
                                    load_checkpoint_file, save_atomic)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an official Conformer checkpoint '
        '(github.com/pengzhiliang/Conformer) to the mmpretrain layout')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint path')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint_file(args.src)
        state_dict, meta = convert_official_state_dict(checkpoint)
        save_atomic(dict(state_dict=state_dict, meta=meta), args.dst)
    except CheckpointError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except OSError as err:
        print(f'error: cannot write {args.dst}: {err}', file=sys.stderr)
        return 1
    info = meta['arch_info']
    arch = info['arch'] if isinstance(info['arch'], str) else 'custom'
    print(f'Inferred arch: {arch} (embed_dims={info["embed_dims"]}, '
          f'channel_ratio={info["channel_ratio"]}, '
          f'patch_size={info["patch_size"]}, depth={info["depth"]}, '
          f'num_heads={info["num_heads"]}, '
          f'num_classes={info["num_classes"]})')
    if meta['config']:
        print(f'Matching config: {meta["config"]}')
    else:
        print('No published config matches; num_heads was assumed to be '
              'embed_dims // 64: check it.')
    print(f'Saved {len(state_dict)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
