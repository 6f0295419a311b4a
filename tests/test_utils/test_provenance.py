import datetime
import sys

import torch

from mmconformer.utils import provenance


def test_provenance_names_machine_date_command(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['tools/x.py', '--flag', '3'])
    record = provenance()
    assert record['command'] == 'python tools/x.py --flag 3'
    assert record['date'] == datetime.date.today().isoformat()
    assert record['torch'] == torch.__version__
    assert f'{torch.get_num_threads()} threads' in record['machine']
    assert provenance('make it')['command'] == 'make it'
