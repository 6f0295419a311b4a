# Copyright (c) mmconformer contributors. All rights reserved.
"""The official repository's COCO detectors (its mmdetection 2.x fork) in
our mmdet 3.x configs, and which kind of Conformer checkpoint a file is."""
from typing import Any, Dict, Mapping, Tuple


from ..version import __version__
from .official_converter import (KNOWN_TOP_LEVEL, ConversionError,
                                 StateDict, infer_official_arch,
                                 is_official_layout, mmpretrain_key)
from .state_dict import unwrap_state_dict

__all__ = [
    'CHECKPOINT_KINDS', 'checkpoint_kind', 'convert_official_detector'
]

#: The kinds :func:`checkpoint_kind` tells apart.
CHECKPOINT_KINDS = {
    'official_classifier':
    'an official Conformer classifier (pengzhiliang/Conformer)',
    'official_detector':
    "an official Conformer detector (the official repository's "
    'mmdetection 2.x fork)',
    'mmpretrain': 'a checkpoint in the mmpretrain layout (mmpretrain\'s or '
    'ours)',
}

#: Backbone parts of the fork that only its ``return_cls_token`` mode
#: builds; our dense backbone has no counterpart, so they are dropped.
_CLASSIFICATION_ONLY = ('trans_norm.', 'trans_cls_head.', 'conv_cls_head.')

#: The mmdet 3.x configs an official S/32 detector maps to.
_DETECTOR_CONFIGS = {
    'mask': 'configs/mmdet/mask-rcnn_conformer-small-p32_fpn_1x_coco.py',
    'faster': 'configs/mmdet/faster-rcnn_conformer-small-p32_fpn_1x_coco.py',
}


def checkpoint_kind(checkpoint: Any) -> str:
    """Which kind of Conformer checkpoint ``checkpoint`` is: a key of
    :data:`CHECKPOINT_KINDS`.

    - ``'official_detector'``: ``backbone.*`` keys in the official
      (timm-style) layout, e.g. ``backbone.trans_1.norm1.weight``, beside
      mmdet's ``neck.*`` and ``*_head.*``;
    - ``'official_classifier'``: the official layout without a prefix;
    - ``'mmpretrain'``: ``backbone.*`` keys in mmpretrain's layout
      (``backbone.trans_1.ln1.weight``).

    Raises:
        ConversionError: none of these.
    """
    state_dict = unwrap_state_dict(checkpoint, error=ConversionError)
    backbone = {k[len('backbone.'):]: v for k, v in state_dict.items()
                if isinstance(k, str) and k.startswith('backbone.')}
    if backbone and is_official_layout(backbone):
        return 'official_detector'
    if is_official_layout(state_dict):
        return 'official_classifier'
    if 'backbone.trans_patch_conv.weight' in state_dict:
        return 'mmpretrain'
    first = next(iter(state_dict))
    raise ConversionError(
        f'not a Conformer checkpoint of a known kind (first key {first!r}): '
        f'expected {"; ".join(CHECKPOINT_KINDS.values())}')


def convert_official_detector(
        checkpoint: Any) -> Tuple[StateDict, Dict[str, Any]]:
    """Convert a detector of the official mmdetection 2.x fork to the keys
    of our mmdet 3.x configs. A pure function, as
    :func:`convert_official_state_dict` is.

    - The backbone (``backbone.*``, the official classifier's names) is
      renamed as an official classifier's is; ``trans_norm`` and the
      classification heads, which the fork only builds with
      ``return_cls_token``, are dropped (and listed in ``meta``).
    - The neck and heads (``neck.*``, ``rpn_head.*``, ``roi_head.*``) are
      kept: mmdet 3.x names FPN, ``RPNHead``, ``Shared2FCBBoxHead`` and
      ``FCNMaskHead`` parameters as mmdet 2.x did.
    - mmdet 2.x's ``meta['CLASSES']`` becomes mmdet 3.x's
      ``meta['dataset_meta']['classes']``.

    Args:
        checkpoint: ``{'state_dict': ..., 'meta': ...}`` as mmdet 2.x saves
            it, or a bare state dict.

    Returns:
        tuple: ``(state_dict, meta)``; ``meta`` records the inferred
        backbone arch, the dropped keys and the matching config.

    Raises:
        ConversionError: not an official detector (see
            :func:`checkpoint_kind`), or a backbone key that is not one of
            Conformer's.
    """
    kind = checkpoint_kind(checkpoint)
    if kind != 'official_detector':
        raise ConversionError(
            f'expected {CHECKPOINT_KINDS["official_detector"]}, got '
            f'{CHECKPOINT_KINDS[kind]}')
    state_dict = unwrap_state_dict(checkpoint, error=ConversionError)
    backbone = {k[len('backbone.'):]: v for k, v in state_dict.items()
                if k.startswith('backbone.')}
    unknown = sorted(k for k in backbone if not KNOWN_TOP_LEVEL.match(k))
    if unknown:
        raise ConversionError(
            f'not an official Conformer backbone: {len(unknown)} unknown '
            f'key(s), first {"backbone." + unknown[0]!r}')
    dropped = sorted('backbone.' + k for k in backbone
                     if k.startswith(_CLASSIFICATION_ONLY))
    converted = {
        mmpretrain_key(k): v
        for k, v in backbone.items() if not k.startswith(_CLASSIFICATION_ONLY)
    }
    converted.update({k: v for k, v in state_dict.items()
                      if not k.startswith('backbone.')})
    info = infer_official_arch(backbone)
    kind_of_detector = 'mask' if any(
        k.startswith('roi_head.mask_head.') for k in state_dict) else 'faster'
    published = info['arch'] == 'small' and info['patch_size'] == 32
    meta: Dict[str, Any] = dict(
        converted_from=CHECKPOINT_KINDS['official_detector'],
        mmconformer_version=__version__,
        arch_info=info,
        dropped=dropped,
        config=_DETECTOR_CONFIGS[kind_of_detector] if published else None)
    old_meta = checkpoint.get('meta') if isinstance(checkpoint,
                                                    Mapping) else None
    if isinstance(old_meta, Mapping) and old_meta.get('CLASSES'):
        meta['dataset_meta'] = dict(classes=tuple(old_meta['CLASSES']))
    return converted, meta
