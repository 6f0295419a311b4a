import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmconformer.checkpoint import (checkpoint_safe_globals,
                                    load_checkpoint_file, restricted_getattr)


def test_mmengine_message_hub_loads_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('safe-globals-test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    path = tmp_path / 'ckpt.pth'
    torch.save({'message_hub': hub.state_dict(),
                'meta': {'best_score': np.float32(0.9),
                         'arr': np.arange(3)}}, path)
    # torch alone refuses it; our loader reads it, the globals allowed for
    # that load only
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    loaded = load_checkpoint_file(str(path))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with checkpoint_safe_globals():
        assert torch.load(path, weights_only=True).keys() == loaded.keys()
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


def test_crafted_pickles_are_refused_inside_the_context_too(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _GetattrExploit()}, path)
    with checkpoint_safe_globals(), pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    marker = tmp_path / 'marker'
    torch.save({'x': _SystemExploit(marker)}, path)
    with checkpoint_safe_globals(), pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    assert not marker.exists()


IMPORT_CHANGES_NOTHING = """
import logging, warnings
import torch
# what the libraries below us register when they are imported (torch
# allowlists its own DTensor types as its submodules load)
import mmengine.runner, mmpretrain.models, torch._dynamo
import torch.distributed.tensor
before = (list(torch.serialization.get_safe_globals()),
          list(warnings.filters),
          {n: list(logging.getLogger(n).filters)
           for n in ('torch.utils.cpp_extension', 'torch.utils._pytree')})
import mmconformer, mmconformer.apis, mmconformer.models
import mmconformer.checkpoint, mmconformer.engine
after = (list(torch.serialization.get_safe_globals()),
         list(warnings.filters),
         {n: list(logging.getLogger(n).filters)
          for n in ('torch.utils.cpp_extension', 'torch.utils._pytree')})
added = [g for g in after[0] if g not in before[0]]
assert not [g for g in added if not getattr(g, '__module__', '').startswith(
    'torch.')], added
assert after[1] == before[1], [f for f in after[1] if f not in before[1]]
assert after[2] == before[2], after[2]
print('unchanged')
"""


def test_import_changes_nothing_else_in_the_process():
    """After ``import mmconformer`` (and its apis, models, checkpoint,
    engine), torch's weights-only allowlist, the warning filters and the
    loggers' filters are what they were (a fresh process: this one has
    imported everything already)."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, '-c', IMPORT_CHANGES_NOTHING],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == 'unchanged'


def test_portable_state_round_trips_and_loads_weights_only(tmp_path):
    """What AtomicCheckpointHook saves: plain containers that a bare
    torch.load(weights_only=True) reads, restored for --resume."""
    from collections import OrderedDict

    from mmconformer.checkpoint import from_weights_only, to_weights_only
    hub = MessageHub.get_instance('portable-state-test')
    for value in (0.5, 0.25, 1.0):
        hub.update_scalar('train/loss', np.float64(value))
    checkpoint = {'message_hub': hub.state_dict(),
                  'state_dict': OrderedDict(w=torch.ones(2)),
                  'meta': {'best_score': np.float32(0.5),
                           'arr': np.arange(3, dtype=np.int64),
                           'pair': (np.int64(1), 'a')}}
    path = tmp_path / 'ckpt.pth'
    torch.save(to_weights_only(checkpoint), path)
    loaded = torch.load(path, weights_only=True)  # no allowlist at all
    restored = from_weights_only(loaded)
    buffer = restored['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.75 / 3)
    assert buffer.max() == 1.0 and buffer.current() == 1.0
    np.testing.assert_array_equal(
        buffer._count_history,
        hub.state_dict()['log_scalars']['train/loss']._count_history)
    assert restored['meta']['arr'].dtype == np.int64
    assert restored['meta']['arr'].tolist() == [0, 1, 2]
    assert restored['meta']['best_score'] == pytest.approx(0.5)
    assert restored['meta']['pair'] == (1, 'a')
    assert isinstance(restored['state_dict'], OrderedDict)
    assert torch.equal(restored['state_dict']['w'], torch.ones(2))
