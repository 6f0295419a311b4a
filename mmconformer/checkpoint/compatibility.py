# Copyright (c) mmconformer contributors. All rights reserved.
"""Does a state dict fit a module? One check for every loader."""
from typing import Callable, Mapping, Optional

import torch

from .io import CheckpointError

__all__ = ['check_compatible']


def check_compatible(expected: Mapping[str, torch.Tensor],
                     state_dict: Mapping[str, torch.Tensor],
                     source: str,
                     allow_unexpected: bool = False,
                     display: Optional[Callable[[str], str]] = None) -> None:
    """Check that ``state_dict`` has every key of ``expected`` with the same
    shape, and (unless ``allow_unexpected``) no other key.

    Args:
        expected (Mapping[str, Tensor]): The module's own state dict (meta
            tensors are fine: only shapes are read).
        state_dict (Mapping[str, Tensor]): The weights to load.
        source (str): What the weights came from, for the message.
        allow_unexpected (bool): Accept keys the module does not have.
            Defaults to False.
        display (Callable[[str], str], optional): Maps a key to the name
            shown in messages (e.g. its name in
            the file before conversion). Defaults to None (the key itself).

    Raises:
        CheckpointError: naming the first missing key, the first unknown key
            or the first key whose shape differs, with both shapes.
    """
    display = display or (lambda key: key)
    missing = [k for k in expected if k not in state_dict]
    unknown = [] if allow_unexpected else sorted(
        k for k in state_dict if k not in expected)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f'{len(missing)} of {len(expected)} keys are '
                         f'missing, first {display(missing[0])!r}')
        if unknown:
            parts.append(f'{len(unknown)} unknown key(s), first '
                         f'{display(unknown[0])!r}')
        raise CheckpointError(
            f'{source}: ' + '; '.join(parts) +
            ': is it a Conformer checkpoint of this arch?', 'layout')
    for key, value in expected.items():
        if tuple(state_dict[key].shape) != tuple(value.shape):
            raise CheckpointError(
                f'{source}: {display(key)} has shape '
                f'{tuple(state_dict[key].shape)} in the checkpoint but '
                f'{tuple(value.shape)} in the model: the checkpoint is of '
                f'another arch or patch size', 'layout')
