import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmconformer  # noqa: F401  (registers the safe globals)
from mmconformer.engine import restricted_getattr


def test_mmengine_message_hub_loads_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('safe-globals-test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    path = tmp_path / 'ckpt.pth'
    torch.save({'message_hub': hub.state_dict(),
                'meta': {'best_score': np.float32(0.9),
                         'arr': np.arange(3)}}, path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.5)
    assert buffer.statistics('max') == pytest.approx(0.5)
    assert loaded['meta']['arr'].tolist() == [0, 1, 2]


def test_restricted_getattr():
    assert restricted_getattr(HistoryBuffer, 'min') is HistoryBuffer.min
    for obj, name in ((HistoryBuffer, '__init__'), (str, 'format'),
                      (HistoryBuffer, 'update')):
        with pytest.raises(pickle.UnpicklingError, match='not allowed'):
            restricted_getattr(obj, name)


class _GetattrExploit:
    """Unpickles as getattr(HistoryBuffer, '__subclasses__')."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__subclasses__'))


class _SystemExploit:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f'touch {self.marker}', ))


def test_crafted_pickles_are_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _GetattrExploit()}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    marker = tmp_path / 'marker'
    torch.save({'x': _SystemExploit(marker)}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    assert not marker.exists()
