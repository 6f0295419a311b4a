# Copyright (c) mmconformer contributors. All rights reserved.
"""Load pretrained weights into a backbone, loudly.

mmengine's ``Pretrained`` init loads with ``strict=False`` and only unwraps a
``state_dict`` key, so an official-layout checkpoint (``{'model': ...}``,
timm-style keys) or a wrong prefix loads nothing without an error. This
loader detects the layout, converts official checkpoints, and fails on
missing keys or mismatched shapes with the first offending key.
"""
import os.path as osp
from typing import Dict, Mapping, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log

from .compatibility import check_compatible
from .io import CheckpointError, load_checkpoint_file
from .official_converter import convert_official_state_dict, is_official_layout


def read_checkpoint(path: str) -> Mapping:
    """Local files through :func:`load_checkpoint_file` (weights only);
    URLs and other schemes through mmengine's ``CheckpointLoader``, whose
    ``torch.load`` defaults to ``weights_only=True`` on torch >= 2.6."""
    if osp.exists(path) or '://' not in path:
        return load_checkpoint_file(path)
    from mmengine.runner import CheckpointLoader
    return CheckpointLoader.load_checkpoint(path, map_location='cpu')


def extract_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The mmpretrain-layout state dict of a checkpoint of either layout."""
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(
            f'a checkpoint must be a dict, got {type(checkpoint).__name__}')
    state = checkpoint
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            state = checkpoint[key]
            break
    if is_official_layout(state):
        state = convert_official_state_dict(state)[0]
    bad = [k for k, v in state.items() if not torch.is_tensor(v)]
    if bad:
        raise CheckpointError(
            f'not a state dict of weights: entry {bad[0]!r} is a '
            f'{type(state[bad[0]]).__name__}, not a tensor', 'not_checkpoint')
    return dict(state)


def load_pretrained(module: nn.Module,
                    checkpoint: str,
                    prefix: Optional[str] = None) -> dict:
    """Load ``checkpoint`` into ``module``: every key of the module must be
    present with the right shape; keys the module does not have (a head, or
    blocks a dense backbone does not build) are ignored and logged.

    Args:
        module (nn.Module): The module to load into.
        checkpoint (str): A path or URL, of either layout.
        prefix (str, optional): Load only the keys under this prefix, with
            the prefix removed (e.g. ``'backbone.'``). Defaults to None.

    Returns:
        dict: The checkpoint's ``meta`` (empty when it has none), e.g. the
        ``dataset_meta`` that training stores.

    Raises:
        CheckpointError: unreadable, unsafe or unsuitable checkpoint,
            naming the first missing key or the first shape mismatch.
    """
    loaded = read_checkpoint(checkpoint)
    state = extract_state_dict(loaded)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        selected = {k[len(prefix):]: v for k, v in state.items()
                    if k.startswith(prefix)}
        if not selected:
            raise CheckpointError(
                f'{checkpoint}: no key starts with prefix {prefix!r} '
                f'(first keys: {list(state)[:3]})')
        state = selected
    own = module.state_dict()
    check_compatible(own, state, checkpoint, allow_unexpected=True)
    module.load_state_dict({k: state[k] for k in own}, strict=True)
    unexpected = sorted(set(state) - set(own))
    print_log(
        f'Loaded {len(own)} tensors from {checkpoint}' +
        (f'; ignored {len(unexpected)} keys the model does not build, '
         f'e.g. {unexpected[0]}' if unexpected else ''),
        logger='current')
    meta = loaded.get('meta') if isinstance(loaded, Mapping) else None
    return dict(meta) if isinstance(meta, Mapping) else {}
