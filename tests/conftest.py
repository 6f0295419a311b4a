import pytest
import torch

import mmconformer  # noqa: F401  (registers the models)


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end test (seconds to minutes); CI runs it')


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
