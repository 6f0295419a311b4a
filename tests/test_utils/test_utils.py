"""mmconformer.utils: the accelerator check, known warnings."""
import warnings

import pytest

import mmconformer.utils.accelerator as accelerator_module
from mmconformer.utils import accelerator_available, silence_known_warnings
from mmconformer.utils.quiet import KNOWN_THIRD_PARTY_WARNINGS

DEVICES = ('is_cuda_available', 'is_npu_available', 'is_mlu_available',
           'is_musa_available')


@pytest.mark.parametrize('present', [None, *DEVICES])
def test_accelerator_is_any_device_mmengine_can_launch_on(monkeypatch,
                                                          present):
    for name in DEVICES:
        monkeypatch.setattr(accelerator_module, name,
                            lambda name=name: name == present)
    assert accelerator_available() is (present is not None)


def test_only_the_known_messages_are_silenced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        silence_known_warnings()
        warnings.warn('Fail to import ``MultiScaleDeformableAttention`` from '
                      '``mmcv.ops.multi_scale_deform_attn``', UserWarning)
        warnings.warn('pkg_resources is deprecated as an API.', UserWarning)
        warnings.warn('something the user should see', UserWarning)
        warnings.warn('Fail to import ``MultiScaleDeformableAttention``',
                      DeprecationWarning)  # another category: shown
    assert [str(w.message) for w in caught] == [
        'something the user should see',
        'Fail to import ``MultiScaleDeformableAttention``'
    ]
    assert len(KNOWN_THIRD_PARTY_WARNINGS) == 3


def test_only_the_known_log_line_is_dropped(caplog):
    import logging
    silence_known_warnings()
    silence_known_warnings()  # idempotent: one filter
    logger = logging.getLogger('torch.utils.cpp_extension')
    assert len(logger.filters) == 1
    with caplog.at_level(logging.WARNING, logger=logger.name):
        logger.warning("No CUDA runtime is found, using CUDA_HOME='/x'")
        logger.warning('a compiler error the user should see')
    assert [r.getMessage() for r in caplog.records] == [
        'a compiler error the user should see']


def test_set_data_root_sets_every_dataloader_there_is():
    from mmengine.config import Config

    from mmconformer.utils import set_data_root
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(data_root='a', type='X')),
        val_dataloader=dict(dataset=dict(data_root='b')),
        test_dataloader=None))
    assert set_data_root(cfg, 'data/new') is cfg
    assert cfg.train_dataloader.dataset.data_root == 'data/new'
    assert cfg.train_dataloader.dataset.type == 'X'
    assert cfg.val_dataloader.dataset.data_root == 'data/new'
    assert cfg.test_dataloader is None
    with pytest.raises(ValueError, match="data_root='x' in"):
        set_data_root(Config(dict(model=dict())), 'x')
