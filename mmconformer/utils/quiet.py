# Copyright (c) mmconformer contributors. All rights reserved.
"""Third-party warnings that our command-line tools do not print.

Each entry is one specific message that says nothing about the user's work;
no category or module is silenced wholesale, and a library user who imports
mmconformer sees every other warning.
"""
import contextlib
import logging
import warnings
from typing import Iterator, Tuple, Type

__all__ = [
    'KNOWN_THIRD_PARTY_WARNINGS', 'silence_known_warnings',
    'current_logger_level'
]

#: (message regex, category) pairs.
KNOWN_THIRD_PARTY_WARNINGS: Tuple[Tuple[str, Type[Warning]], ...] = (
    # mmcv-lite on `import mmcv.cnn`: its compiled ops are missing. Nothing
    # in mmconformer uses them (detection and segmentation need the full
    # mmcv, and say so themselves).
    (r'Fail to import ``MultiScaleDeformableAttention``', UserWarning),
    # setuptools, when mmengine 0.10.7 imports pkg_resources to resolve
    # `mmpretrain::` base configs (pinned setuptools<81 keeps it working).
    (r'pkg_resources is deprecated as an API', UserWarning),
)


def silence_known_warnings() -> None:
    """Ignore exactly :data:`KNOWN_THIRD_PARTY_WARNINGS` in this process
    (for a tool's ``main``; the filters stay until the process ends)."""
    for message, category in KNOWN_THIRD_PARTY_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


@contextlib.contextmanager
def current_logger_level(level: int = logging.ERROR) -> Iterator[None]:
    """Run a block with mmengine's current logger at ``level``: for steps
    whose reports are expected and not results (the FLOP counter's notes on
    ops it does not count, init reports of models built only to be timed).
    """
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)
