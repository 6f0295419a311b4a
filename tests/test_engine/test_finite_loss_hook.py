"""FiniteLossHook: a NaN in one branch stops training at once with one line
naming the iteration and the branch; the last good checkpoint is kept."""
import re

import pytest
import torch
from _helpers import call_main, load_tool, write_tiny_config
from _training import data_options, make_shapes

from mmconformer.engine import FiniteLossHook
from mmconformer.checkpoint import load_checkpoint_file


def test_bad_interval():
    for interval in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match='interval must be a positive'):
            FiniteLossHook(interval)


def test_losses_that_need_grad_are_read_without_a_warning():
    """The losses a train step logs may still require grad."""
    import types
    import warnings
    loss = torch.tensor(2., requires_grad=True) * 1
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        FiniteLossHook().after_train_iter(
            types.SimpleNamespace(iter=0), 0,
            outputs=dict(loss=loss, loss_conv=loss / 2, loss_trans=loss / 2))


def test_finite_losses_pass_and_the_first_bad_one_is_named():

    class Runner:
        iter, epoch = 6, 1

        class message_hub:
            get_info = staticmethod(lambda key: 'w/epoch_1.pth')

        class logger:
            lines = []
            error = staticmethod(lines.append)

    hook = FiniteLossHook()
    good = dict(loss=torch.tensor(2.0), loss_conv=torch.tensor(1.0),
                loss_trans=torch.tensor(1.0), accuracy=torch.tensor(0.5))
    hook.after_train_iter(Runner, 0, outputs=good)
    bad = dict(good, loss=torch.tensor(float('inf')),
               loss_trans=torch.tensor(float('inf')))
    with pytest.raises(FloatingPointError) as info:
        hook.after_train_iter(Runner, 0, outputs=bad)
    assert str(info.value) == (
        'iteration 7 (epoch 2): loss_trans is inf (loss_conv 1); training '
        'stopped, the last checkpoint is w/epoch_1.pth')
    assert Runner.logger.lines == [str(info.value)]


def test_a_nan_in_one_branch_stops_training(tmp_path, capsys):
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    config = write_tiny_config(
        tmp_path / 'tiny.py', base_channels=16,
        extra="custom_imports = dict(imports=['mmconformer', '_faults'])\n"
        "custom_hooks = [dict(type='EpochRNGHook'), "
        "dict(type='FiniteLossHook'), "
        "dict(type='PoisonConvHeadHook', at_iter=2)]\n")
    work = tmp_path / 'work'
    code, out, err = call_main(
        load_tool('train.py'), capsys, config, '--work-dir', work,
        '--cfg-options', *data_options(data), 'train_dataloader.batch_size=12',
        'train_cfg.max_epochs=3', 'default_hooks.checkpoint.interval=1')
    assert code == 1
    (line, ) = err.strip().splitlines()
    # 2 iterations per epoch: the poisoned 3rd is epoch 2's first
    assert re.fullmatch(
        r'error: iteration 3 \(epoch 2\): loss_conv is nan \(loss_trans '
        r'[0-9.]+\); training stopped, the last checkpoint is '
        + re.escape(str(work / 'epoch_1.pth')), line), line
    # the last good checkpoint is kept, and nothing after it was written
    assert (work / 'last_checkpoint').read_text() == \
        str(work / 'epoch_1.pth')
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']
    state = load_checkpoint_file(work / 'epoch_1.pth')
    assert all(torch.isfinite(v).all() for v in state['state_dict'].values()
               if v.is_floating_point())
