"""configs/finetune: the backbone loads from an mmpretrain, an official or
one of our training checkpoints (1000 classes), the head is new."""
import os.path as osp

import pytest
import torch
from _helpers import CONFIG_DIR, REPO_ROOT, randomize_batchnorm
from _official_layout import to_official
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmpretrain.registry import MODELS

FINETUNE = osp.join(CONFIG_DIR, 'finetune',
                    'conformer-tiny-p16_in1k-pre_1xb32-30e_custom.py')
IMAGENET = osp.join(CONFIG_DIR, 'conformer-tiny-p16_8xb128_in1k.py')


@pytest.fixture(scope='module')
def pretrained():
    model = MODELS.build(Config.fromfile(IMAGENET).model)
    model.init_weights()
    randomize_batchnorm(model, seed=5)
    return model.state_dict()


@pytest.mark.parametrize('layout', ['mmpretrain', 'official', 'our_run'])
def test_backbone_from_any_checkpoint_head_new(tmp_path, pretrained,
                                               layout):
    path = tmp_path / 'ckpt.pth'
    if layout == 'mmpretrain':
        torch.save({'state_dict': pretrained, 'meta': {}}, path)
    elif layout == 'official':
        torch.save({'model': to_official(pretrained)}, path)
    else:  # what mmengine's CheckpointHook writes, message hub included
        hub = MessageHub('ft-test')
        hub.update_scalar('train/loss', 1.0)
        history = HistoryBuffer()
        history.update(1.0)
        torch.save({'state_dict': pretrained, 'meta': {'epoch': 3},
                    'message_hub': hub.state_dict(), 'history': history},
                   path)
    cfg = Config.fromfile(FINETUNE)
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': str(path)})
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, pretrained[f'backbone.{key}']), key
    assert model.head.conv_cls_head.weight.shape == (10, 256)
    assert model.head.trans_cls_head.weight.shape == (10, 384)
    # the new head is initialised (TruncNormal std 0.02), not left at zero
    std = model.head.conv_cls_head.weight.std().item()
    assert 0.01 < std < 0.03


def test_config_is_the_recipe_its_docs_state():
    """docs/en/finetune.md's "The recipe:" paragraph, number for number:
    the config must train as the page says."""
    import re
    with open(osp.join(REPO_ROOT, 'docs', 'en', 'finetune.md')) as f:
        text = ' '.join(f.read().split())
    recipe = re.search(
        r'The recipe: AdamW at lr (\S+) for (\d+) images .*?weight decay '
        r'(\S+), a (\d+)-epoch warm-up then cosine to (\S+), (\d+) epochs, '
        r'no Mixup/CutMix, label smoothing ([0-9.]+)', text)
    assert recipe, 'finetune.md no longer states the recipe'
    lr, batch, decay, warmup_epochs, min_lr, epochs, smoothing = \
        recipe.groups()
    cfg = Config.fromfile(FINETUNE)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW'
    assert optimizer.lr == pytest.approx(float(lr))
    assert optimizer.weight_decay == pytest.approx(float(decay))
    assert cfg.auto_scale_lr.base_batch_size == int(batch)
    assert cfg.train_dataloader.batch_size == int(batch)
    assert cfg.train_cfg.max_epochs == int(epochs)
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', int(warmup_epochs))
    assert (cosine.type, cosine.begin, cosine.end) == (
        'CosineAnnealingLR', int(warmup_epochs), int(epochs))
    assert cosine.eta_min == pytest.approx(float(min_lr))
    assert cfg.model.train_cfg is None  # no Mixup/CutMix
    assert cfg.model.head.loss.label_smooth_val == pytest.approx(
        float(smoothing))
    assert cfg.runner_type == 'PortableRunner'
