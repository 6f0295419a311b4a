# Copyright (c) mmconformer contributors. All rights reserved.
"""Convert official Conformer checkpoints (github.com/pengzhiliang/Conformer)
to the mmpretrain layout that ``ConformerBackbone`` + ``DualBranchClsHead``
(and mmpretrain's own ``Conformer`` + ``ConformerHead``) load."""
import re
from typing import Any, Dict, Mapping, Tuple

import torch

from ..arch_zoo import ARCH_ZOO
from ..version import __version__
from .io import CheckpointError
from .state_dict import unwrap_state_dict

__all__ = [
    'KNOWN_TOP_LEVEL', 'ConversionError', 'is_official_layout',
    'infer_official_arch', 'convert_official_state_dict', 'mmpretrain_key',
    'official_key'
]

StateDict = Dict[str, torch.Tensor]

#: Published archs: (embed_dims, channel_ratio, depth) -> (name, num_heads),
#: read from the arch table (full names, not the one-letter aliases).
KNOWN_ARCHS = {(arch['embed_dims'], arch['channel_ratio'], arch['depths']):
               (name, arch['num_heads'])
               for name, arch in ARCH_ZOO.items() if len(name) > 1}
HEAD_KEYS = ('conv_cls_head.', 'trans_cls_head.')
#: timm-style transformer names -> mmpretrain TransformerEncoderLayer names.
TRANSFORMER_RENAMES = (
    ('.norm1.', '.ln1.'),
    ('.norm2.', '.ln2.'),
    ('.mlp.fc1.', '.ffn.layers.0.0.'),
    ('.mlp.fc2.', '.ffn.layers.1.'),
)
#: Top-level module names of the official model: anything else is unknown.
KNOWN_TOP_LEVEL = re.compile(
    r'^(conv1|bn1|cls_token|conv_1|trans_patch_conv|trans_1|conv_trans_\d+|'
    r'trans_norm|conv_cls_head|trans_cls_head)(\.|$)')
_TRANSFORMER_PREFIX = re.compile(r'^(trans_1|conv_trans_\d+\.trans_block)\.')


class ConversionError(CheckpointError):
    """The input is not a complete official Conformer state dict."""


def _unwrap(checkpoint: Any) -> StateDict:
    if isinstance(checkpoint, Mapping) and (
            'state_dict' in checkpoint or any(
                str(k).startswith('backbone.') for k in checkpoint)):
        raise ConversionError(
            'this checkpoint is already in the mmpretrain layout '
            '(state_dict / backbone.* keys); load it directly')
    if not isinstance(checkpoint, Mapping) or not checkpoint:
        raise ConversionError(
            'expected an official Conformer checkpoint ({"model": '
            'state_dict} or a bare state dict), got '
            f'{type(checkpoint).__name__}')
    return unwrap_state_dict(checkpoint, ('model', ), ConversionError)


def is_official_layout(state_dict: Mapping) -> bool:
    """True when ``state_dict`` has the official repo's (timm-style) keys."""
    return 'trans_patch_conv.weight' in state_dict and any(
        k.startswith('trans_1.norm1.') for k in state_dict)


def infer_official_arch(state_dict: Mapping) -> Dict[str, Any]:
    """Infer the architecture from official-layout weights.

    Returns a dict with ``arch`` (a name when it is a published arch, else a
    custom-arch dict), ``patch_size``, ``embed_dims``, ``channel_ratio``,
    ``depth``, ``num_heads``, ``num_classes`` and ``with_cls_token``.

    ``num_heads`` cannot be read from weights; for unpublished archs it is
    assumed to be ``embed_dims // 64`` and must be checked by the user.
    """
    required = ('trans_patch_conv.weight', 'conv_1.conv3.weight',
                'conv1.weight')
    for key in required:
        if key not in state_dict:
            raise ConversionError(
                f'missing key {key!r}: not an official Conformer checkpoint')
    patch_conv = state_dict['trans_patch_conv.weight']
    embed_dims = int(patch_conv.shape[0])
    patch_size = int(patch_conv.shape[-1]) * 4
    stem_channels = int(state_dict['conv1.weight'].shape[0])
    stage1 = int(state_dict['conv_1.conv3.weight'].shape[0])
    ratio = stage1 / stem_channels
    channel_ratio = int(ratio) if ratio == int(ratio) else ratio
    blocks = [
        int(m.group(1)) for m in (re.match(r'conv_trans_(\d+)\.', k)
                                  for k in state_dict) if m
    ]
    depth = max(blocks) if blocks else 1
    if depth % 3:
        raise ConversionError(f'found blocks up to conv_trans_{depth}; a '
                              f'Conformer depth must be a multiple of 3')
    name, num_heads = KNOWN_ARCHS.get((embed_dims, channel_ratio, depth),
                                      (None, max(1, embed_dims // 64)))
    arch = name or dict(
        embed_dims=embed_dims,
        depths=depth,
        num_heads=num_heads,
        channel_ratio=channel_ratio)
    head = state_dict.get('conv_cls_head.weight')
    return dict(
        arch=arch,
        patch_size=patch_size,
        embed_dims=embed_dims,
        channel_ratio=channel_ratio,
        depth=depth,
        num_heads=num_heads,
        num_classes=int(head.shape[0]) if head is not None else None,
        with_cls_token='cls_token' in state_dict)


def mmpretrain_key(key: str) -> str:
    """The mmpretrain-layout name of an official classifier's key (the
    inverse of :func:`official_key`)."""
    if key.startswith(HEAD_KEYS):
        return 'head.' + key
    if _TRANSFORMER_PREFIX.match(key):
        for old, new in TRANSFORMER_RENAMES:
            key = key.replace(old, new)
    return 'backbone.' + key


def convert_official_state_dict(
        checkpoint: Any) -> Tuple[StateDict, Dict[str, Any]]:
    """Convert an official checkpoint to mmpretrain keys.

    A pure function: it reads ``checkpoint`` (``{'model': state_dict}`` or a
    bare state dict) and returns ``(state_dict, meta)`` without touching
    files. ``meta`` records the inferred arch and the matching config.

    It renames keys and infers the arch from the weights; it does not
    build a model. Whether every key and shape fits is checked against the
    real module by whoever has one: :func:`load_pretrained` (the backbone
    being initialised) or the converter CLI (a model of the inferred arch),
    through :func:`check_compatible`.

    Raises:
        ConversionError: not an official Conformer checkpoint: not a dict of
            tensors, already in the mmpretrain layout, the keys that define
            the arch are missing, or a key is not one of Conformer's.
    """
    state_dict = _unwrap(checkpoint)
    info = infer_official_arch(state_dict)
    unknown = sorted(k for k in state_dict if not KNOWN_TOP_LEVEL.match(k))
    if unknown:
        raise ConversionError(
            f'not an official Conformer state dict: {len(unknown)} unknown '
            f'key(s), first {unknown[0]!r}')
    converted = {mmpretrain_key(k): v for k, v in state_dict.items()}
    name = info['arch'] if isinstance(info['arch'], str) else None
    config = (f'configs/conformer-{name}-p{info["patch_size"]}'
              f'_8xb128_in1k.py') if name else None
    meta = dict(
        converted_from='official Conformer (pengzhiliang/Conformer)',
        mmconformer_version=__version__,
        arch_info=info,
        config=config)
    return converted, meta


def official_key(key: str) -> str:
    """The official name of a converted (mmpretrain-layout) key."""
    if key.startswith('head.'):
        return key[len('head.'):]
    key = key[len('backbone.'):] if key.startswith('backbone.') else key
    if _TRANSFORMER_PREFIX.match(key):
        for old, new in TRANSFORMER_RENAMES:
            key = key.replace(new, old)
    return key
