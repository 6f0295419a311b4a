"""dtype='auto': the fast path's dtype per CPU class, which must be what the
benchmark tables of that class measured fastest, and the warning when int8
is asked for where it does not pay."""
import glob
import importlib
import json
import logging
import os.path as osp
import re

import pytest
import torch
from _helpers import REPO_ROOT

from mmconformer.apis import (RECOMMENDED_DTYPES, optimize_for_inference,
                              recommended_dtype)
from mmconformer.apis import dtype_recommendation as recommendation
from mmconformer.utils import cpu_class

TABLES = sorted(glob.glob(osp.join(
    REPO_ROOT, 'docs/benchmarks/tiny-p16_cpu_infer_peers*.json')))
CPU = torch.device('cpu')
# the module: the package exports a function of the same name
cpu_features_module = importlib.import_module(
    'mmconformer.utils.cpu_features')


def _class_of(report: dict, monkeypatch) -> str:
    """The class of the (capped) flags the report recorded."""
    monkeypatch.setattr(cpu_features_module, 'cpu_features',
                        lambda capped=True: report['cpu_features'])
    return cpu_class()


@pytest.mark.parametrize('path', TABLES, ids=osp.basename)
def test_each_class_gets_the_fastest_dtype_of_its_table(path, monkeypatch):
    with open(path) as f:
        report = json.load(f)
    speed = {row['dtype']: row['img_per_s'] for row in report['results']
             if row['impl'] == 'mmconformer' and row['runtime'] == 'fast'}
    best = max(speed, key=speed.get)
    best_float = max((d for d in speed if d != 'int8'), key=speed.get)
    assert RECOMMENDED_DTYPES[_class_of(report, monkeypatch)] == (
        best, best_float)


def _fastest(rows, key, best):
    row = best(rows, key=lambda r: r[key])
    return f'{row["impl"]} {row["setting"]}'


def test_the_deployment_guide_names_each_tables_fastest_row(monkeypatch):
    """Its "fastest" columns are the fastest rows of each class's tables
    (batch 8: img/s; batch 1: p50), whichever implementation or runtime."""
    with open(osp.join(REPO_ROOT, 'docs/en/deployment.md')) as f:
        rows = re.findall(r'^\| `(\w+)` \| [^|]+ \| ([^|]+) \| ([^|]+) \| '
                          r'\w+ \| \w+ \|$', f.read(), re.M)
    claimed = {name: (a.strip(), b.strip()) for name, a, b in rows}
    for path in TABLES:
        with open(path) as f:
            batch8 = json.load(f)
        with open(path.replace('infer_peers', 'latency')) as f:
            batch1 = json.load(f)['results']
        name = _class_of(batch8, monkeypatch)
        assert claimed[name] == (
            f'`{_fastest(batch8["results"], "img_per_s", max)}`',
            f'`{_fastest(batch1, "p50_ms", min)}`'), name


def test_every_measurable_class_has_a_table(monkeypatch):
    classes = set()
    for path in TABLES:
        with open(path) as f:
            classes.add(_class_of(json.load(f), monkeypatch))
    # AMX's tables were measured on a CPU with AMX, the others capped
    assert classes == set(RECOMMENDED_DTYPES)


def test_the_deployment_guide_shows_the_table():
    with open(osp.join(REPO_ROOT, 'docs/en/deployment.md')) as f:
        rows = re.findall(r'^\| `(\w+)` \|.* \| (\w+) \| (\w+) \|$',
                          f.read(), re.M)
    assert {name: (a, b) for name, a, b in rows} == RECOMMENDED_DTYPES


@pytest.mark.parametrize('name,calibrated,expected', [
    ('avx512_core_bf16', True, 'int8'),
    ('avx512_core_bf16', False, 'bf16'),
    ('avx512_core_vnni', False, RECOMMENDED_DTYPES['avx512_core_vnni'][1]),
    ('amx', True, 'bf16'),
    (None, True, 'fp32'),
])
def test_auto_follows_the_class_and_the_calibration(monkeypatch, name,
                                                    calibrated, expected):
    monkeypatch.setattr(recommendation, 'cpu_class', lambda: name)
    dtype, reason = recommended_dtype(CPU, calibrated)
    assert dtype == expected and reason.startswith(f'auto: {expected}')
    if name and RECOMMENDED_DTYPES[name][0] == 'int8' and not calibrated:
        assert 'give calibration images' in reason
    assert recommended_dtype(torch.device('cuda', 0), True)[0] == 'bf16'


def test_optimize_for_inference_runs_auto_and_warns_about_int8(
        monkeypatch):
    from test_fast_inference import tiny_classifier

    from mmconformer.apis import fast_inference
    logged = []
    monkeypatch.setattr(
        fast_inference, 'print_log', lambda msg, **kwargs: logged.append(
            (kwargs.get('level', logging.INFO), msg)))
    model = tiny_classifier()
    monkeypatch.setattr(recommendation, 'cpu_class',
                        lambda: 'avx512_core_vnni')
    fast = optimize_for_inference(model, 'auto', compile=False)
    expected = RECOMMENDED_DTYPES['avx512_core_vnni'][1]
    ((level, message), ) = logged
    assert level == logging.INFO and message.startswith(
        f'optimize_for_inference: auto: {expected}, the fastest on '
        'avx512_core_vnni without calibration images')
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(sum(fast(x, mode='tensor')),
                                   sum(model(x, mode='tensor')),
                                   rtol=1e-4, atol=1e-4)
    # asked for int8 where the tables recommend bf16: a warning says so
    pytest.importorskip('torchao')
    monkeypatch.setattr(recommendation, 'cpu_class', lambda: 'amx')
    logged.clear()
    optimize_for_inference(model, 'int8', compile=False,
                           calibration=[torch.randn(2, 3, 64, 64)])
    assert logged[0] == (
        logging.WARNING, 'optimize_for_inference: int8 is not the fastest '
        'on amx: the benchmark tables recommend bf16 there, as fast and '
        'more accurate')
    assert logged[1][0] == logging.INFO and 'int8' in logged[1][1]
