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
    'KNOWN_THIRD_PARTY_WARNINGS', 'KNOWN_THIRD_PARTY_LOG_LINES',
    'silence_known_warnings', 'current_logger_level'
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
    # torch's Inductor, when it lowers int8 weights for oneDNN
    # (torch/_inductor/mkldnn_lowerings.py calls torch.tensor on a tensor).
    (r'To copy construct from a tensor, it is recommended to use '
     r'sourceTensor\.detach\(\)\.clone\(\)', UserWarning),
)


#: (logger name, message prefix) pairs of log records, not warnings.
KNOWN_THIRD_PARTY_LOG_LINES: Tuple[Tuple[str, str], ...] = (
    # torch's C++ extension helper, when Inductor compiles on a machine with
    # the CUDA build of torch and no CUDA runtime (any CPU-only machine).
    ('torch.utils.cpp_extension', 'No CUDA runtime is found'),
    # torch's pytree registry, when torchao (int8) registers an Enum of its
    # own on import.
    ('torch.utils._pytree',
     '%s is an Enum subclass and is now natively supported'),
)


class _DropMessages(logging.Filter):

    def __init__(self, prefixes: Tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def silence_known_warnings(log_lines: bool = True) -> None:
    """Ignore exactly :data:`KNOWN_THIRD_PARTY_WARNINGS` and, unless told
    not to, :data:`KNOWN_THIRD_PARTY_LOG_LINES`.

    The warning filters are added to ``warnings.filters`` (inside
    ``warnings.catch_warnings()`` they last as long as that block); the
    log-line filters are added to their loggers and last until the process
    ends. A tool's ``main`` (:func:`~mmconformer.utils.cli_main`) silences
    both for its process.

    Args:
        log_lines (bool): Also drop the known log lines. Defaults to True.
    """
    for message, category in KNOWN_THIRD_PARTY_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)
    if not log_lines:
        return
    for name, prefix in KNOWN_THIRD_PARTY_LOG_LINES:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessages) and prefix in f.prefixes
                   for f in logger.filters):
            logger.addFilter(_DropMessages((prefix, )))


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
