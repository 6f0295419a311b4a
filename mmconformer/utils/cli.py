# Copyright (c) mmconformer contributors. All rights reserved.
"""The set-up every command-line tool under ``tools/`` shares: one-line
errors, file checks, the device, and a quiet logger.

A tool's ``main(argv)`` is wrapped by :func:`cli_main`; anything the user can
fix is raised as :class:`ToolError` (or as an error class the tool names)
and printed as one ``error: ...`` line with exit status 1, no traceback.
"""
import argparse
import functools
import os.path as osp
import re
import sys
from typing import Callable, Optional, Sequence, Type

from . import accelerator
from .quiet import silence_known_warnings

__all__ = [
    'add_calibration_args', 'add_classifier_args', 'export_parser',
    'int_at_least',
    'ToolError', 'check_files', 'check_device', 'cli_main', 'one_line',
    'tool_logger'
]


class ToolError(Exception):
    """A problem the user of a tool can fix, said in one line."""


def check_files(*paths: str, urls: bool = False) -> None:
    """Raise :class:`ToolError` naming the first path that is not a file.

    Args:
        *paths (str): The files a tool reads.
        urls (bool): Let ``scheme://`` paths through (they are fetched
            later). Defaults to False.
    """
    for path in paths:
        if urls and '://' in str(path):
            continue
        if not osp.isfile(path):
            raise ToolError(f'file not found: {path}')


def check_device(device: Optional[str]) -> str:
    """The device a tool runs on: ``device`` checked, or when None the
    accelerator if there is one (``cuda``), else ``cpu``.

    Raises:
        ToolError: not ``cpu`` or ``cuda[:N]``, or CUDA asked for where
            there is none.
    """
    if device is None:
        return 'cuda' if accelerator.accelerator_available() else 'cpu'
    if device != 'cpu' and device != 'cuda' and not (
            device.startswith('cuda:') and device[5:].isdigit()):
        raise ToolError(f"device must be 'cpu', 'cuda' or 'cuda:N', got "
                        f'{device!r}')
    if device.startswith('cuda'):
        import torch
        if not torch.cuda.is_available():
            raise ToolError(f'device {device!r}: CUDA is not available')
    return device


def tool_logger(name: str, level: str = 'WARNING'):
    """Create the tool's mmengine logger, which becomes the current one: the
    library's messages (checkpoint loading, init reports) go through it at
    ``level``, and a tool's progress lines at INFO show only when ``level``
    lets them through.

    Returns:
        mmengine.logging.MMLogger: The logger.
    """
    from mmengine.logging import MMLogger
    return MMLogger.get_instance(name, log_level=level)


def one_line(err: BaseException) -> str:
    """The user's line of an error. torch's DataLoader re-raises an error of
    a worker process with the worker's whole traceback as its message; the
    line that matters is its last, ``ClassName: message``."""
    text = str(err).strip()
    lines = text.splitlines()
    if len(lines) > 1 and lines[0].startswith('Caught '):
        return re.sub(rf'^(?:[\w.]+\.)?{type(err).__name__}: ', '',
                      lines[-1])
    return text


def cli_main(*user_errors: Type[BaseException]) -> Callable:
    """Decorate a tool's ``main(argv=None) -> int``: the known third-party
    warnings are silenced, and :class:`ToolError` or any of
    ``user_errors`` is printed as ``error: <message>`` on stderr, with exit
    status 1 instead of a traceback.

    Args:
        *user_errors (type): Further exception classes whose message is
            meant for the user (e.g. ``CheckpointError``).
    """
    caught = (ToolError, ) + tuple(user_errors)

    def decorate(main: Callable[[Optional[Sequence[str]]], int]) -> Callable:

        @functools.wraps(main)
        def run(argv: Optional[Sequence[str]] = None) -> int:
            silence_known_warnings()
            try:
                return main(argv) or 0
            except caught as err:
                print(f'error: {one_line(err)}', file=sys.stderr)
                return 1

        return run

    return decorate


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an int of at least ``minimum``; anything else
    is refused with a message that names the value and the bound."""

    def parse(text: str) -> int:
        if text.lstrip('-').isdigit() and int(text) >= minimum:
            return int(text)
        raise argparse.ArgumentTypeError(f'must be an int >= {minimum}, '
                                         f'got {text!r}')

    return parse


def add_classifier_args(parser: argparse.ArgumentParser,
                        cfg_options: bool = True) -> None:
    """The arguments of every tool that loads our classifier: ``config``
    and ``checkpoint`` (positional), ``--non-strict`` and, unless told not
    to, ``--cfg-options``."""
    from mmengine.config import DictAction
    parser.add_argument('config', help='classifier config file')
    parser.add_argument('checkpoint', help='checkpoint file (ours or the '
                        'official layout; a local path or a URL)')
    parser.add_argument('--non-strict', action='store_true',
                        help='load a checkpoint that does not fit the '
                        'config: the weights that fit, and a few lines on '
                        'what was left out; without it, such a checkpoint '
                        'is refused')
    if cfg_options:
        parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                            help='override config settings, key=value')


def add_calibration_args(parser: argparse.ArgumentParser,
                         default_images: str) -> None:
    """``--calib-dir DIR`` and ``--calib-images N`` of the tools that
    quantize to int8; ``default_images`` says what is calibrated on without
    ``--calib-dir``."""
    parser.add_argument('--calib-dir', default=None, metavar='DIR',
                        help='int8: images to calibrate on (recursively; '
                        f'default: {default_images})')
    parser.add_argument('--calib-images', type=int_at_least(1), default=64,
                        help='int8: how many calibration images, evenly '
                        'spaced')


def export_parser(description: str,
                  int8_option: str) -> argparse.ArgumentParser:
    """The parser every export tool starts from: the classifier's arguments
    (:func:`add_classifier_args`), the calibration images of its int8 form
    (selected by ``int8_option``) and ``--shape H W``."""
    parser = argparse.ArgumentParser(
        description=description, allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_classifier_args(parser)
    add_calibration_args(parser, f'none: {int8_option} needs it; they are '
                         "prepared by the config's test pipeline")
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224],
                        metavar=('H', 'W'), help='input size to export at')
    return parser
