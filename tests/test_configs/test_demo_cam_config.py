"""configs/demo/conformer-tiny-p16_1xb16-8e_shapes-160px.py (make demo-cam):
the demo config at 160x160 on shapes placed anywhere, loading the demo
checkpoint."""
import os.path as osp

from _helpers import CONFIG_DIR
from mmengine.config import Config
from mmpretrain.registry import DATASETS

CAM_DEMO = osp.join(CONFIG_DIR, 'demo',
                    'conformer-tiny-p16_1xb16-8e_shapes-160px.py')


def test_config_is_what_its_name_and_header_say():
    """``1xb16-8e_shapes-160px``: batch 16 on one process, 8 epochs, the
    160 px shapes; the header: the demo's model loaded whole, at the demo's
    learning rate, with a 20-iteration warm-up, and a cosine over the 8
    epochs, validated and saved once at the end."""
    import re
    batch, epochs, size = map(int, re.search(
        r'1xb(\d+)-(\d+)e_shapes-(\d+)px', CAM_DEMO).groups())
    cfg = Config.fromfile(CAM_DEMO)
    demo = Config.fromfile(osp.join(CONFIG_DIR, 'demo',
                                    'conformer-tiny-p16_1xb32_shapes.py'))
    assert cfg.load_from == 'work_dirs/demo/epoch_7.pth'
    assert cfg.model.head.num_classes == demo.model.head.num_classes
    assert cfg.optim_wrapper.optimizer.lr == demo.optim_wrapper.optimizer.lr
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.img_size == size
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end, warmup.by_epoch) == ('LinearLR', 20,
                                                          False)
    assert (cosine.type, cosine.T_max, cosine.end) == ('CosineAnnealingLR',
                                                       epochs, epochs)
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_cfg.val_interval == epochs
    assert cfg.default_hooks.checkpoint.interval == epochs
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == f'data/shapes-{size}'


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
