import pytest
import torch

import mmconformer  # noqa: F401  (registers the models)


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end test (seconds to minutes); CI runs it')


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def small_p32_classifier_checkpoint(tmp_path_factory):
    """A checkpoint of our Conformer-S/32 classifier, as training writes it,
    with non-trivial BatchNorm statistics: what the dense configs load into
    their backbones. Returns the path and the state dict."""
    from _helpers import CONFIG_DIR, randomize_batchnorm
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(
        f'{CONFIG_DIR}/conformer-small-p32_8xb128_in1k.py')
    model = MODELS.build(cfg.model)
    model.init_weights()
    randomize_batchnorm(model, seed=3)
    path = tmp_path_factory.mktemp('ckpt') / 'conformer-s32.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path, model.state_dict()
