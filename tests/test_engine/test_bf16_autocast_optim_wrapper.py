import pytest
import torch
from _helpers import TINY_ARCH
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS
from mmpretrain.structures import DataSample

from mmconformer.engine import BF16AutocastOptimWrapper


def test_forward_runs_in_bf16_and_params_stay_fp32():
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ConformerBackbone', arch=TINY_ARCH,
                           base_channels=16),
             head=dict(type='DualBranchClsHead', num_classes=3,
                       in_channels=[64, 32])))
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='BF16AutocastOptimWrapper',
             optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3)))
    assert isinstance(wrapper, BF16AutocastOptimWrapper)
    seen = []
    model.head.conv_cls_head.register_forward_hook(
        lambda m, i, o: seen.append(o.dtype))
    data = dict(inputs=torch.randn(2, 3, 32, 32),
                data_samples=[DataSample().set_gt_label(i) for i in (0, 2)])
    before = model.head.conv_cls_head.weight.clone()
    model.train_step(data, wrapper)
    assert seen == [torch.bfloat16]
    assert model.head.conv_cls_head.weight.dtype == torch.float32
    assert not torch.equal(before, model.head.conv_cls_head.weight)


@pytest.mark.slow
def test_train_py_amp_runs_one_iteration_on_cpu(tmp_path):
    from _training import make_shapes, train
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    log = train(tmp_path / 'work', data, 'train_cfg.max_epochs=1',
                'train_dataloader.batch_size=24', 'train_cfg.val_interval=1',
                'default_hooks.logger.interval=1', extra=('--amp', ))
    assert 'BF16AutocastOptimWrapper' in log
    assert 'Epoch(train) [1][1/1]' in log
