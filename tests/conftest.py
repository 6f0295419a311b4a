import pytest
import torch
from _xdist_threads import pytest_configure  # noqa: F401  (a hook)

import mmconformer  # noqa: F401  (registers the models)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _forget_loggers_made_by_the_test():
    """A logger made during a test (a tool's main, a Runner) writes to that
    test's captured stdout, which pytest closes afterwards, and mmengine
    would keep it as the current logger of the next test. Forget and close
    the loggers the test made."""
    from mmengine.logging import MMLogger
    before = set(MMLogger._instance_dict)
    yield
    for name in set(MMLogger._instance_dict) - before:
        logger = MMLogger._instance_dict.pop(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


@pytest.fixture(scope='session')
def classifier_checkpoint(tmp_path_factory):
    """``classifier_checkpoint('conformer-small-p32_8xb128_in1k.py')``: a
    checkpoint of our classifier built from that ImageNet config, as training
    writes it, with non-trivial BatchNorm statistics: what the dense configs
    load into their backbones. Returns the path and the state dict; each
    config is built once per session."""
    from _helpers import CONFIG_DIR, randomize_batchnorm
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    made = {}

    def make(config_name):
        if config_name not in made:
            cfg = Config.fromfile(f'{CONFIG_DIR}/{config_name}')
            model = MODELS.build(cfg.model)
            model.init_weights()
            randomize_batchnorm(model, seed=3)
            path = tmp_path_factory.mktemp('ckpt') / \
                config_name.replace('.py', '.pth')
            torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
            made[config_name] = path, model.state_dict()
        return made[config_name]

    return make


@pytest.fixture(scope='session')
def small_p32_classifier_checkpoint(classifier_checkpoint):
    """The Conformer-S/32 classifier checkpoint (path, state dict)."""
    return classifier_checkpoint('conformer-small-p32_8xb128_in1k.py')


@pytest.fixture
def published_weights_served_here(monkeypatch):
    """The published checkpoints cannot be downloaded here: mmengine's
    loader gets, for each of their URLs, random weights of the classifier
    the URL's model-index entry names (so a block loads them strictly and
    runs as written). Yields what it served, by URL."""
    from collections import OrderedDict

    from mmengine.runner import CheckpointLoader
    from mmpretrain.apis import ModelHub

    served = {}

    def serve(url, map_location=None, **kwargs):
        for name in ModelHub._models_dict:
            info = ModelHub._models_dict[name]
            if info.weights == url:
                from mmpretrain.registry import MODELS
                model = MODELS.build(ModelHub.get(name).config.model)
                model.init_weights()
                served[url] = model.state_dict()
                return {'state_dict': served[url]}
        raise AssertionError(f'not a published checkpoint: {url}')

    schemes = OrderedDict(
        [('https://download.openmmlab.com/', serve)] +
        list(CheckpointLoader._schemes.items()))
    monkeypatch.setattr(CheckpointLoader, '_schemes', schemes)
    return served
