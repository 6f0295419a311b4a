"""mmconformer.analysis.gemm_peak: the GEMMs a model runs and their best
rate on this machine."""
import pytest
import torch
from _helpers import TINY_PATCH32_CLASSIFIER

from mmconformer.analysis import gemm_ops, gemm_peak, timed_call
from mmconformer.analysis.benchmark import build_models

CUSTOM = TINY_PATCH32_CLASSIFIER


def test_gemm_ops_are_the_models_own():
    """Batch 2 at 64x64, patch 32: 2x2 tokens + the class token = 5 per
    image; the qkv projection is a (10 x 32) @ (32 x 96) GEMM, attention
    q @ k^T is (2 heads * 2 images) x (5 x 16) @ (16 x 5)."""
    model = build_models(CUSTOM, {'mmconformer'})['mmconformer']
    ops = gemm_ops(model, torch.randn(2, 3, 64, 64))
    assert ('mm', ((10, 32), (32, 96)), ()) in ops
    assert ('bmm', ((4, 5, 16), (4, 16, 5)), ()) in ops
    assert ('bmm', ((4, 5, 5), (4, 5, 16)), ()) in ops
    stem = [op for op in ops if op[0] == 'conv' and op[1][1] == (64, 3, 7, 7)]
    assert stem == [('conv', ((2, 3, 64, 64), (64, 3, 7, 7)),
                     ((2, 2), (3, 3), 1))]
    # the probe leaves the model as it was
    assert all(not m.training for m in model.modules()) or model.training


def test_gemm_peak_reports_its_best_op():
    model = build_models(CUSTOM, {'mmconformer'})['mmconformer']
    peak = gemm_peak(model, torch.randn(2, 3, 64, 64), 'fp32', 'cpu',
                     repeats=1)
    assert peak['gflops_per_s'] > 0
    assert peak['op'].startswith(("('mm'", "('conv'", "('bmm'"))
    int8 = gemm_peak(model, torch.randn(2, 3, 64, 64), 'int8', 'cpu',
                     repeats=1)
    assert int8['gflops_per_s'] > 0 and int8['op'].startswith("('mm'")


@pytest.mark.parametrize('device,syncs', [('cpu', 0), ('cuda', 2),
                                          ('cuda:1', 2)])
def test_timed_call_waits_for_the_device(monkeypatch, device, syncs):
    """On CUDA the call is timed from an idle queue to an idle queue (the
    synchronisation patched: no GPU needed)."""
    calls = []
    monkeypatch.setattr(torch.cuda, 'synchronize',
                        lambda *args: calls.append('sync'))
    seconds = timed_call(lambda: calls.append('call'), device)
    assert seconds >= 0
    assert calls == ['sync'] * (syncs // 2) + ['call'] + \
        ['sync'] * (syncs // 2)
