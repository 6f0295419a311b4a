"""mmengine's ``compile=True`` in a config works through the Runner."""
import pytest
from _helpers import write_tiny_config
from _training import make_shapes, train


@pytest.mark.slow
def test_compile_true_trains_through_the_runner(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    config = write_tiny_config(tmp_path / 'compiled.py', base_channels=16,
                               extra='compile = True\n')
    # 1 iteration (24 images) and the val pass: Inductor compiles the
    # training step (forward, backward, optimizer step) and the eval forward.
    # One iteration is enough: a second would only recompile the optimizer
    # step for the warm-up's new lr, which costs minutes on a CPU.
    log = train(tmp_path / 'work', data, 'train_cfg.max_epochs=1',
                'train_dataloader.batch_size=24', 'train_cfg.val_interval=1',
                'default_hooks.logger.interval=1', config=str(config))
    assert 'Model has been "compiled"' in log
    assert 'Epoch(train) [1][1/1]' in log
    assert 'Epoch(val) [1][1/1]' in log
