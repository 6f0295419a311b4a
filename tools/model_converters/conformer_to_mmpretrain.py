# Copyright (c) mmconformer contributors. All rights reserved.
"""Convert an official Conformer checkpoint to the mmpretrain layout.

Example::

    python tools/model_converters/conformer_to_mmpretrain.py \\
        Conformer_small_patch32.pth conformer-small-p32_official.pth

SRC is ``{'model': state_dict}`` (as the official DeiT-based main.py saves)
or a bare state dict. The keys are renamed by the pure function
``mmconformer.checkpoint.convert_official_state_dict``; every key and shape
is then checked against a model of the inferred arch. DST is
``{'state_dict': ..., 'meta': ...}``, written atomically; on any error one
``error:`` line is printed, nothing is written and the exit status is 1.
"""
import argparse
import sys
from typing import Dict

import torch

import mmconformer  # noqa: F401  (registers ConformerBackbone)
from mmconformer.checkpoint import (CheckpointError, check_compatible,
                                    convert_official_state_dict,
                                    load_checkpoint_file, official_key,
                                    save_atomic)
from mmconformer.utils import ToolError, cli_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an official Conformer checkpoint '
        '(github.com/pengzhiliang/Conformer) to the mmpretrain layout')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint path')
    return parser.parse_args(argv)


def expected_state_dict(info: dict) -> Dict[str, torch.Tensor]:
    """Keys and shapes (meta tensors) of a classifier of the inferred arch;
    the head only when the checkpoint has one."""
    from mmpretrain.registry import MODELS
    with torch.device('meta'):
        backbone = MODELS.build(
            dict(type='ConformerBackbone', arch=info['arch'],
                 patch_size=info['patch_size'],
                 with_cls_token=info['with_cls_token']))
    expected = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    if info['num_classes'] is not None:
        for branch, width in (('conv', backbone.stage_channels[-1]),
                              ('trans', info['embed_dims'])):
            expected[f'head.{branch}_cls_head.weight'] = torch.empty(
                info['num_classes'], width, device='meta')
            expected[f'head.{branch}_cls_head.bias'] = torch.empty(
                info['num_classes'], device='meta')
    return expected


@cli_main(CheckpointError)
def main(argv=None) -> int:
    args = parse_args(argv)
    checkpoint = load_checkpoint_file(args.src)
    state_dict, meta = convert_official_state_dict(checkpoint)
    info = meta['arch_info']
    try:
        expected = expected_state_dict(info)
    except (ValueError, TypeError, KeyError) as err:
        raise CheckpointError(
            f'{args.src}: the inferred arch cannot be built ({err})')
    check_compatible(expected, state_dict, args.src, display=official_key)
    try:
        save_atomic(dict(state_dict=state_dict, meta=meta), args.dst)
    except OSError as err:
        raise ToolError(f'cannot write {args.dst}: {err}') from err
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
