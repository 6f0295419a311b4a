# Copyright (c) mmconformer contributors. All rights reserved.
"""Load weights into a model, loudly.

mmengine's ``load_checkpoint`` and ``Pretrained`` init load with
``strict=False`` and only unwrap a ``state_dict`` key, so a checkpoint of
another arch, an official-layout one (``{'model': ...}``, timm-style keys)
or a wrong prefix loads nothing, or part, with a wall of warnings. These
loaders detect the layout, convert official checkpoints, and fail on the
first missing, unexpected or mis-shaped key, unless told to load leniently.
"""
import logging
import os.path as osp
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log

from .compatibility import check_compatible, state_dict_fit
from .io import CheckpointError, load_checkpoint_file
from .official_converter import convert_official_state_dict, is_official_layout
from .safe_globals import checkpoint_safe_globals
from .state_dict import unwrap_state_dict


def read_checkpoint(path: str) -> Mapping:
    """Local files through :func:`load_checkpoint_file` (weights only);
    URLs and other schemes through mmengine's ``CheckpointLoader``, whose
    ``torch.load`` defaults to ``weights_only=True`` on torch >= 2.6 (with
    the same globals allowed, for this load only)."""
    if osp.exists(path) or '://' not in path:
        return load_checkpoint_file(path)
    from mmengine.runner import CheckpointLoader
    with checkpoint_safe_globals():
        return CheckpointLoader.load_checkpoint(path, map_location='cpu')


def extract_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The mmpretrain-layout state dict of a checkpoint of either layout."""
    state = unwrap_state_dict(checkpoint)
    if is_official_layout(state):
        state = convert_official_state_dict(state)[0]
    return state


def unbuilt_prefixes(module: nn.Module) -> Tuple[str, ...]:
    """Key prefixes, in ``module``'s state dict, of the submodules a
    checkpoint may have and ``module`` does not build: every submodule
    with an ``unbuilt_modules`` attribute (``ConformerBackbone`` in featmap
    mode, which leaves out the blocks after its last output and the
    classification-only ``trans_norm``) names them."""
    prefixes = []
    for name, sub in module.named_modules():
        for unbuilt in getattr(sub, 'unbuilt_modules', ()):
            prefixes.append(f'{name}.{unbuilt}.' if name else f'{unbuilt}.')
    return tuple(prefixes)


def _first(keys: List[str], count: int = 2) -> str:
    return ', '.join(keys[:count]) + (', ...' if len(keys) > count else '')


def load_state_dict_checked(module: nn.Module,
                            state: Mapping[str, torch.Tensor],
                            source: str,
                            strict: bool = True) -> None:
    """Load ``state`` into ``module``, strictly or leniently, and log it.

    Strict: every key of the module must be in ``state`` with its shape,
    and ``state`` may hold no other key than those of submodules the module
    does not build (:func:`unbuilt_prefixes`); anything else raises, naming
    the first offending key. Lenient (``strict=False``): the keys with the
    right name and shape are loaded, and what was left out is logged in a
    few lines (counts and the first keys), not a line per key.

    Raises:
        CheckpointError: strict, and ``state`` does not fit.
    """
    own = module.state_dict()
    ignore = unbuilt_prefixes(module)
    if strict:
        fit = check_compatible(own, state, source, ignore=ignore)
        module.load_state_dict({k: state[k] for k in own}, strict=True)
        print_log(
            f'Loaded {len(own)} tensors from {source}' +
            (f'; ignored {len(fit.ignored)} keys the model does not build, '
             f'e.g. {fit.ignored[0]}' if fit.ignored else ''),
            logger='current')
        return
    fit = state_dict_fit(own, state, ignore)
    loadable = {k: state[k] for k in own
                if k in state and k not in fit.mismatched}
    module.load_state_dict(loadable, strict=False)
    lines = [f'Loaded {len(loadable)} of {len(own)} tensors from {source} '
             f'(non-strict)']
    if fit.missing:
        lines.append(f'  {len(fit.missing)} missing, left as initialised: '
                     f'{_first(fit.missing)}')
    if fit.mismatched:
        key = fit.mismatched[0]
        lines.append(f'  {len(fit.mismatched)} of another shape, left as '
                     f'initialised: {key} {tuple(state[key].shape)} vs '
                     f'{tuple(own[key].shape)}' +
                     (', ...' if len(fit.mismatched) > 1 else ''))
    if fit.unexpected:
        lines.append(f'  {len(fit.unexpected)} not in the model, skipped: '
                     f'{_first(fit.unexpected)}')
    print_log('\n'.join(lines), logger='current',
              level=logging.WARNING if len(lines) > 1 else logging.INFO)


def load_pretrained(module: nn.Module,
                    checkpoint: str,
                    prefix: Optional[str] = None,
                    strict: bool = True) -> dict:
    """Read ``checkpoint`` (either layout) and load it into ``module`` with
    :func:`load_state_dict_checked`.

    Args:
        module (nn.Module): The module to load into.
        checkpoint (str): A path or URL, of either layout.
        prefix (str, optional): Load only the keys under this prefix, with
            the prefix removed (e.g. ``'backbone.'``). Defaults to None.
        strict (bool): Refuse a checkpoint that does not fit. Defaults to
            True; False loads what fits and logs the rest.

    Returns:
        dict: The checkpoint's ``meta`` (empty when it has none), e.g. the
        ``dataset_meta`` that training stores.

    Raises:
        CheckpointError: an unreadable or unsafe checkpoint, one without
            ``prefix``, or (strict) one that does not fit.
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
    load_state_dict_checked(module, state, checkpoint, strict)
    meta = loaded.get('meta') if isinstance(loaded, Mapping) else None
    return dict(meta) if isinstance(meta, Mapping) else {}
