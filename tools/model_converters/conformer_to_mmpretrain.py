# Copyright (c) mmconformer contributors. All rights reserved.
"""Convert an official Conformer checkpoint to the mmpretrain layout.

Examples::

    # a classifier of the official repository
    python tools/model_converters/conformer_to_mmpretrain.py \\
        Conformer_small_patch32.pth conformer-small-p32_official.pth
    # a detector of its mmdetection 2.x fork, for our mmdet 3.x configs
    python tools/model_converters/conformer_to_mmpretrain.py \\
        mask_rcnn_conformer_small_patch32_1x_coco.pth mask-rcnn_s32_mmdet3.pth

The kind of SRC is detected and named (``mmconformer.checkpoint.
checkpoint_kind``): an official classifier (``{'model': state_dict}``, as
the official DeiT-based main.py saves it, or a bare state dict), an official
detector (mmdet 2.x's ``{'state_dict': ..., 'meta': ...}`` with an
official-layout ``backbone.``), or one already in the mmpretrain layout,
which needs no conversion. The keys are renamed by the pure functions
``convert_official_state_dict`` and ``convert_official_detector``; every
backbone (and classifier head) key and shape is then checked against a model
of the inferred arch. DST is ``{'state_dict': ..., 'meta': ...}``, written
atomically; on any error one ``error:`` line is printed, nothing is written
and the exit status is 1.
"""
import argparse
import sys
from typing import Dict

import torch

import mmconformer  # noqa: F401  (registers ConformerBackbone)
from mmconformer.checkpoint import (CHECKPOINT_KINDS, CheckpointError,
                                    check_compatible, checkpoint_kind,
                                    convert_official_detector,
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


def expected_state_dict(info: dict,
                        detector: bool = False) -> Dict[str, torch.Tensor]:
    """Keys and shapes (meta tensors) of a classifier of the inferred arch,
    the head only when the checkpoint has one; for a detector, of the
    dense backbone of our mmdet configs (CNN maps after blocks 4, 8, 11 and
    12 of 12)."""
    from mmpretrain.registry import MODELS
    depth = info['depth']
    dense = dict(out_type='featmap', featmap_branches='conv',
                 out_indices=[depth // 3, 2 * depth // 3, depth - 1,
                              depth]) if detector else {}
    with torch.device('meta'):
        backbone = MODELS.build(
            dict(type='ConformerBackbone', arch=info['arch'],
                 patch_size=info['patch_size'],
                 with_cls_token=info['with_cls_token'], **dense))
    expected = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    if info['num_classes'] is not None and not detector:
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
    kind = checkpoint_kind(checkpoint)
    print(f'{args.src}: {CHECKPOINT_KINDS[kind]}')
    if kind == 'mmpretrain':
        raise ToolError('it needs no conversion: load it directly')
    detector = kind == 'official_detector'
    state_dict, meta = (convert_official_detector if detector else
                        convert_official_state_dict)(checkpoint)
    info = meta['arch_info']
    try:
        expected = expected_state_dict(info, detector)
    except (ValueError, TypeError, KeyError) as err:
        raise CheckpointError(
            f'{args.src}: the inferred arch cannot be built ({err})')
    if detector:
        # the neck and heads are mmdet's; only the backbone is ours to check
        expected.update({k: v for k, v in state_dict.items()
                         if not k.startswith('backbone.')})
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
    if meta.get('dropped'):
        print(f'Dropped {len(meta["dropped"])} classification-only backbone '
              f'keys (trans_norm, heads): the dense backbone has none')
    if meta['config']:
        print(f'Matching config: {meta["config"]}')
    else:
        print('No published config matches; num_heads was assumed to be '
              'embed_dims // 64: check it.')
    print(f'Saved {len(state_dict)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
