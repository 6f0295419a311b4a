"""configs/demo/conformer-tiny-p16_1xb16-8e_shapes-160px.py (make demo-cam):
the demo config at 160x160 on shapes placed anywhere, loading the demo
checkpoint."""
import os.path as osp

from _helpers import CONFIG_DIR
from mmengine.config import Config
from mmpretrain.registry import DATASETS

CAM_DEMO = osp.join(CONFIG_DIR, 'demo',
                    'conformer-tiny-p16_1xb16-8e_shapes-160px.py')


def test_recipe():
    cfg = Config.fromfile(CAM_DEMO)
    assert cfg.load_from == 'work_dirs/demo/epoch_7.pth'
    assert cfg.model.head.num_classes == 6  # the demo's classes, its head
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.optim_wrapper.optimizer.lr == 5e-4
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end, warmup.by_epoch) == ('LinearLR', 20,
                                                          False)
    assert (cosine.type, cosine.T_max, cosine.end) == ('CosineAnnealingLR',
                                                       8, 8)
    assert cfg.train_cfg.max_epochs == 8 and cfg.train_cfg.val_interval == 8
    assert cfg.default_hooks.checkpoint.interval == 8
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == 'data/shapes-160'


def test_pipelines_keep_the_160px_images(tmp_path):
    """A 160x160 image reaches the model at 160x160, in training and test
    (the demo config would resize it to 48)."""
    import numpy as np
    from PIL import Image
    for split in ('train', 'val'):
        (tmp_path / split / 'disc').mkdir(parents=True)
        Image.fromarray(np.zeros((160, 160, 3), np.uint8)).save(
            tmp_path / split / 'disc' / '0.png')
    cfg = Config.fromfile(CAM_DEMO)
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = str(tmp_path)
        dataset.pop('classes', None)
        sample = DATASETS.build(dataset)[0]
        assert tuple(sample['inputs'].shape) == (3, 160, 160), loader
