# Copyright (c) mmconformer contributors. All rights reserved.
"""What every demo runner does: its config on its data, trained, then
validated once more."""
from typing import Callable, Optional, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

from ...utils import set_data_root
from .build_runner import build_runner

__all__ = ['train_demo']


def train_demo(config: str,
               data_root: str,
               work_dir: str,
               cfg_options: Optional[dict] = None,
               edit: Optional[Callable[[Config], None]] = None
               ) -> Tuple[Runner, dict]:
    """Train ``config`` on ``data_root`` into ``work_dir`` and validate the
    result.

    Args:
        config (str): A demo config file.
        data_root (str): Where its data is (every loader is pointed there).
        work_dir (str): The run's work dir.
        cfg_options (dict, optional): ``--cfg-options``, applied after
            ``edit``. Defaults to None.
        edit (Callable[[Config], None], optional): Changes the runner makes
            to the config first (a checkpoint to load, an init to drop).
            Defaults to None.

    Returns:
        tuple: The runner, trained, and the metrics of a last validation.
    """
    cfg = set_data_root(Config.fromfile(config), data_root)
    if edit is not None:
        edit(cfg)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    runner = build_runner(cfg)
    runner.train()
    return runner, runner.val_loop.run()
