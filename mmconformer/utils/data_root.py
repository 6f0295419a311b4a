# Copyright (c) mmconformer contributors. All rights reserved.
"""Point a config's dataloaders at another data root."""
from mmengine.config import Config

__all__ = ['DATALOADERS', 'set_data_root']

#: The dataloaders of an mmengine config, in the order the Runner uses them.
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def set_data_root(cfg: Config, data_root: str) -> Config:
    """Set ``dataset.data_root`` of every dataloader ``cfg`` has, in place.

    Args:
        cfg (Config): An mmengine config.
        data_root (str): The new data root.

    Returns:
        Config: ``cfg``.

    Raises:
        ValueError: ``cfg`` has none of :data:`DATALOADERS`.
    """
    present = [name for name in DATALOADERS if cfg.get(name)]
    if not present:
        raise ValueError(f'the config has none of {list(DATALOADERS)} to '
                         f'set data_root={data_root!r} in')
    for name in present:
        cfg[name].dataset.data_root = data_root
    return cfg
