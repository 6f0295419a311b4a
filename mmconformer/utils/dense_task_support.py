# Copyright (c) mmconformer contributors. All rights reserved.
"""Whether mmdet or mmseg can run in this environment, and if not, why.

Detection and segmentation with Conformer need more than classification:
mmdet 3.3.0 and mmsegmentation 1.2.2 import ``mmcv.ops`` (the compiled mmcv,
``< 2.2.0``), which mmcv-lite does not have, and mmsegmentation also imports
``ftfy`` and ``regex`` without declaring them (mmsegmentation #3704). The
demos and the test suite ask :func:`dense_task_unavailable` so that a user
with mmcv-lite gets one line that says what is missing and how to get it.
"""
import importlib
import importlib.util
from typing import Optional

__all__ = ['dense_task_unavailable', 'DENSE_LIBRARIES']

#: library -> (pip requirement, modules it imports without declaring them)
DENSE_LIBRARIES = {
    'mmdet': ('mmdet==3.3.0', ()),
    'mmseg': ('mmsegmentation==1.2.2', ('ftfy', 'regex')),
}

_COMPILED_MMCV = ('the compiled mmcv 2.0/2.1 built for your torch '
                  '(`mim install "mmcv>=2.0.0,<2.2.0"`)')


def dense_task_unavailable(library: str) -> Optional[str]:
    """Why ``library`` cannot run here, in one line, or None if it can.

    Args:
        library (str): ``'mmdet'`` or ``'mmseg'``.

    Returns:
        str | None: None when the compiled mmcv, the library and the modules
        it needs all import; else what is missing and how to install it.
    """
    if library not in DENSE_LIBRARIES:
        raise ValueError(f'library must be one of {tuple(DENSE_LIBRARIES)}, '
                         f'got {library!r}')
    requirement, undeclared = DENSE_LIBRARIES[library]
    install = f'pip install {" ".join((requirement, ) + undeclared)}'
    if importlib.util.find_spec('mmcv') is None:
        return f'{library} needs {_COMPILED_MMCV}; mmcv is not installed'
    if importlib.util.find_spec('mmcv._ext') is None:
        return (f'{library} needs {_COMPILED_MMCV}, then `{install}`; this '
                f'environment has mmcv-lite (no mmcv.ops)')
    missing = [name for name in (library, ) + undeclared
               if importlib.util.find_spec(name) is None]
    if missing:
        return f'{", ".join(missing)} not installed: `{install}`'
    try:
        importlib.import_module(library)
    except Exception as err:  # e.g. its mmcv version check
        first_line = (str(err).strip().splitlines() or [''])[0]
        return (f'{library} does not import: {type(err).__name__}: '
                f'{first_line}')
    return None
