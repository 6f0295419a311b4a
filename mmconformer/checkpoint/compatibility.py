# Copyright (c) mmconformer contributors. All rights reserved.
"""Does a state dict fit a module? One check for every loader."""
from typing import Callable, List, Mapping, NamedTuple, Optional, Sequence

import torch

from .io import CheckpointError

__all__ = ['StateDictFit', 'check_compatible', 'state_dict_fit']


class StateDictFit(NamedTuple):
    """How a state dict fits a module's: the keys it lacks, the keys the
    module does not have (``unexpected``; those under an ignored prefix are
    ``ignored`` instead), and the keys whose shapes differ."""
    missing: List[str]
    unexpected: List[str]
    ignored: List[str]
    mismatched: List[str]


def state_dict_fit(expected: Mapping[str, torch.Tensor],
                   state_dict: Mapping[str, torch.Tensor],
                   ignore: Sequence[str] = ()) -> StateDictFit:
    """Compare ``state_dict`` with a module's own ``expected`` one (meta
    tensors are fine: only shapes are read). Keys under a prefix of
    ``ignore`` that the module lacks are ``ignored``, not ``unexpected``."""
    missing = [k for k in expected if k not in state_dict]
    extra = sorted(k for k in state_dict if k not in expected)
    ignore = tuple(ignore)
    return StateDictFit(
        missing=missing,
        unexpected=[k for k in extra if not (ignore and k.startswith(ignore))],
        ignored=[k for k in extra if ignore and k.startswith(ignore)],
        mismatched=[
            k for k, v in expected.items() if k in state_dict and
            tuple(state_dict[k].shape) != tuple(v.shape)
        ])


def check_compatible(expected: Mapping[str, torch.Tensor],
                     state_dict: Mapping[str, torch.Tensor],
                     source: str,
                     allow_unexpected: bool = False,
                     display: Optional[Callable[[str], str]] = None,
                     ignore: Sequence[str] = ()) -> StateDictFit:
    """Check that ``state_dict`` has every key of ``expected`` with the same
    shape, and (unless ``allow_unexpected``) no other key but those under a
    prefix of ``ignore``.

    Args:
        expected (Mapping[str, Tensor]): The module's own state dict.
        state_dict (Mapping[str, Tensor]): The weights to load.
        source (str): What the weights came from, for the message.
        allow_unexpected (bool): Accept keys the module does not have.
            Defaults to False.
        display (Callable[[str], str], optional): Maps a key to the name
            shown in messages (e.g. its name in the file before
            conversion). Defaults to None (the key itself).
        ignore (Sequence[str]): Prefixes of keys the module does not build
            and may be given (e.g. the blocks a dense backbone leaves out).
            Defaults to ``()``.

    Returns:
        StateDictFit: The comparison (for a log line of ignored keys).

    Raises:
        CheckpointError: one line naming the first missing key, the first
            unexpected key, or the first key whose shape differs with both
            shapes.
    """
    display = display or (lambda key: key)
    fit = state_dict_fit(expected, state_dict, ignore)
    unexpected = [] if allow_unexpected else fit.unexpected
    if fit.missing or unexpected:
        parts = []
        if fit.missing:
            parts.append(f'{len(fit.missing)} of {len(expected)} keys are '
                         f'missing, first {display(fit.missing[0])!r}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected key(s), first '
                         f'{display(unexpected[0])!r}')
        raise CheckpointError(
            f'{source}: ' + '; '.join(parts) +
            ': is it a Conformer checkpoint of this arch?', 'layout')
    if fit.mismatched:
        key = fit.mismatched[0]
        what = 'a head for another number of classes' if \
            '_cls_head.' in key else 'another arch or patch size'
        raise CheckpointError(
            f'{source}: {display(key)} has shape '
            f'{tuple(state_dict[key].shape)} in the checkpoint but '
            f'{tuple(expected[key].shape)} in the model: the checkpoint has '
            f'{what}', 'layout')
    return fit
