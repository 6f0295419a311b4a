# Copyright (c) mmconformer contributors. All rights reserved.
"""Where, when and how a figure was measured, for every JSON report."""
import datetime
import sys
from typing import List, Optional

import torch

from .cpu_features import cpu_features, cpu_model_name
from .isa_cap import isa_cap

__all__ = ['machine_description', 'provenance']


def machine_description(device: str = 'cpu') -> str:
    """The device's name; for a CPU also its AMX, bf16 and int8 flags
    (:func:`~mmconformer.utils.cpu_features`, uncapped), the
    instruction-set cap it runs under, if any, and the thread count."""
    if device.startswith('cuda'):
        return torch.cuda.get_device_name(device)
    flags = ', '.join(cpu_features(capped=False)) or \
        'no AVX2/AVX-512/AMX flags'
    cap = isa_cap()
    capped = f', instructions capped to {cap}' if cap else ''
    return f'{cpu_model_name()} ({flags}){capped}, ' \
        f'{torch.get_num_threads()} threads'


def provenance(command: Optional[str] = None, device: str = 'cpu') -> dict:
    """``machine``, ``cpu_features``, ``torch``, ``date`` and ``command``
    of a measurement.

    Args:
        command (str, optional): The command line that measured it.
            Defaults to None (this process's own ``python`` + arguments).
        device (str): The device measured. Defaults to ``'cpu'``.
    """
    if command is None:
        command = ' '.join(['python'] + sys.argv)
    features: List[str] = cpu_features() if device == 'cpu' else []
    return dict(machine=machine_description(device), cpu_features=features,
                torch=torch.__version__,
                date=datetime.date.today().isoformat(), command=command)
