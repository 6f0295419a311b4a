"""Kill-free resume: 2 epochs == 1 epoch + resume to 2, bit for bit. On the
demo config with a 3-block arch: what is resumed (weights, AdamW state, the
schedulers, the data order) does not depend on the arch's size."""
import re

import pytest
import torch
from _helpers import CONFIG_DIR, write_tiny_config
from _training import make_shapes, train

from mmconformer.checkpoint import load_checkpoint_file

EMA_DEMO = f'{CONFIG_DIR}/demo/conformer-tiny-p16_1xb32-ema_shapes.py'

COMMON = ('randomness.seed=0', 'randomness.deterministic=True',
          'train_dataloader.batch_size=12', 'train_cfg.val_interval=1',
          'default_hooks.checkpoint.interval=1',
          'default_hooks.checkpoint.max_keep_ckpts=3',
          'default_hooks.logger.interval=1')


def epoch_losses(log, epoch):
    return re.findall(rf'Epoch\(train\) \[{epoch}\]\[\d+/\d+\].*?loss: '
                      r'([0-9.]+)', log)


@pytest.mark.slow
def test_resume_is_bit_identical(tmp_path):
    data = make_shapes(tmp_path / 'shapes')
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16)
    full_log = train(tmp_path / 'full', data, 'train_cfg.max_epochs=2',
                     *COMMON, config=config)
    train(tmp_path / 'part', data, 'train_cfg.max_epochs=1', *COMMON,
          config=config)
    assert not (tmp_path / 'part' / 'epoch_2.pth').exists()
    resumed_log = train(tmp_path / 'part', data, 'train_cfg.max_epochs=2',
                        *COMMON, extra=('--resume', ), config=config)
    assert 'Auto resumed from the latest checkpoint' in resumed_log or \
        'resumed from' in resumed_log.lower()
    assert 'Epoch(train) [1]' not in resumed_log

    full = load_checkpoint_file(tmp_path / 'full' / 'epoch_2.pth')
    resumed = load_checkpoint_file(tmp_path / 'part' / 'epoch_2.pth')
    assert full['state_dict'].keys() == resumed['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(value, resumed['state_dict'][key]), key
    full_losses = epoch_losses(full_log, 2)
    assert full_losses and full_losses == epoch_losses(resumed_log, 2)


@pytest.mark.slow
def test_resume_from_explicit_path(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16)
    train(tmp_path / 'a', data, 'train_cfg.max_epochs=1', *COMMON,
          config=config)
    log = train(tmp_path / 'b', data, 'train_cfg.max_epochs=2', *COMMON,
                extra=('--resume', str(tmp_path / 'a' / 'epoch_1.pth')),
                config=config)
    assert 'Epoch(train) [2]' in log and 'Epoch(train) [1]' not in log
    assert (tmp_path / 'b' / 'epoch_2.pth').exists()


@pytest.mark.slow
def test_resume_with_ema_is_bit_identical(tmp_path):
    """The demo's -ema variant: the checkpoint holds the EMA weights (as
    state_dict, what validation ran) and the raw ones (ema_state_dict), and
    resuming restores both exactly."""
    data = make_shapes(tmp_path / 'shapes')
    config = write_tiny_config(tmp_path / 'tiny.py', base_channels=16,
                               base=EMA_DEMO)
    train(tmp_path / 'full', data, 'train_cfg.max_epochs=2', *COMMON,
          config=config)
    train(tmp_path / 'part', data, 'train_cfg.max_epochs=1', *COMMON,
          config=config)
    log = train(tmp_path / 'part', data, 'train_cfg.max_epochs=2', *COMMON,
                extra=('--resume', ), config=config)
    assert 'Epoch(train) [1]' not in log
    full = load_checkpoint_file(tmp_path / 'full' / 'epoch_2.pth')
    resumed = load_checkpoint_file(tmp_path / 'part' / 'epoch_2.pth')
    for part in ('state_dict', 'ema_state_dict'):
        assert full[part].keys() == resumed[part].keys()
        for key, value in full[part].items():
            assert torch.equal(value, resumed[part][key]), (part, key)
    # the EMA is live: it differs from the raw weights it averages
    weight = 'backbone.conv1.weight'
    assert f'module.{weight}' in full['ema_state_dict']
    assert not torch.equal(full['state_dict'][weight],
                           full['ema_state_dict'][f'module.{weight}'])
