# Copyright (c) mmconformer contributors. All rights reserved.
"""Build the runner a config asks for, as OpenMMLab's tools do."""
from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

__all__ = ['build_runner']


def build_runner(cfg: Config) -> Runner:
    """The runner of ``cfg``, built the way mmpretrain's (and mmdet's,
    mmseg's) ``tools/train.py`` and ``tools/test.py`` build it: through
    mmengine's ``RUNNERS`` when the config names a ``runner_type`` (ours
    name ``PortableRunner``), else mmengine's ``Runner.from_cfg``.

    Args:
        cfg (Config): A complete training or test config.

    Returns:
        Runner: The runner, not started.
    """
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
