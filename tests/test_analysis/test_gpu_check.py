"""The GPU check, tested without a GPU by patching the one accelerator check
and the measurements: what it plans, its budget, its JSON and its docs
tables; and its one line where there is no GPU."""
import json

import pytest
import torch
from _helpers import call_main, load_tool

from mmconformer.analysis import gpu_check
from mmconformer.apis import resolve_dtype
from mmconformer.utils import accelerator


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(accelerator, 'accelerator_kind', lambda: None)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(accelerator, 'accelerator_kind', lambda: 'cuda')
    monkeypatch.setattr(torch.cuda, 'get_device_name',
                        lambda *args: 'Fake GPU')


def test_without_a_gpu_it_stops_at_once_with_one_line(no_gpu, capsys):
    code, out, err = call_main(load_tool('analysis_tools/gpu_check.py'),
                               capsys)
    assert (code, out) == (1, '')
    assert err == ('error: gpu-check needs a CUDA GPU, and this machine has '
                   'none (torch.cuda.is_available() is False)\n')


def test_another_accelerator_is_named(monkeypatch, capsys):
    monkeypatch.setattr(accelerator, 'accelerator_kind', lambda: 'npu')
    code, _, err = call_main(load_tool('analysis_tools/gpu_check.py'),
                             capsys)
    assert code == 1 and err.strip().endswith("accelerator is npu")


class FakeBenchmark:
    """Records the specs the check builds and returns rows for them."""
    specs = []

    def __init__(self, spec, log=None):
        self.spec = spec
        FakeBenchmark.specs.append(spec)

    def run(self):
        rows = [dict(impl=v.impl, setting=v.setting, mode=mode,
                     dtype=v.dtype, runtime=v.runtime,
                     compile=self.spec.compile, batch_size=64,
                     input_size=[224, 224], img_per_s=100.0 + i,
                     gflops_per_s=1000.0, fraction_of_peak=0.5,
                     first_step_s=1.0)
                for mode in self.spec.modes
                for i, v in enumerate(self.spec.variants)]
        return dict(results=rows, ratios=[],
                    peaks=dict(fp16=dict(gflops_per_s=2000.0, op='x')),
                    spec=dict(batch_size=64, repeats=10))


def test_the_plan_measures_what_the_docs_promise(monkeypatch):
    FakeBenchmark.specs = []
    monkeypatch.setattr(gpu_check, 'ThroughputBenchmark', FakeBenchmark)
    memory = []
    monkeypatch.setattr(gpu_check, 'measure_peak_memory',
                        lambda spec, mode, variant: memory.append(
                            spec.model_cfg['backbone'].get('with_cp')) or
                        2**30)
    tasks = gpu_check.plan_gpu_check(run_tests=lambda: dict(summary='ok'))
    assert [t.name for t in tasks] == [
        'tests', 'train/tiny-p16', 'train/small-p16', 'infer/tiny-p16',
        'infer/small-p16', 'memory/small-p16', 'train-compiled/tiny-p16',
        'train-compiled/small-p16']
    results = {t.name: t.run() for t in tasks}
    train, infer, compiled = (FakeBenchmark.specs[0:2],
                              FakeBenchmark.specs[2:4],
                              FakeBenchmark.specs[4:6])
    for spec in train + infer + compiled:
        assert spec.device == 'cuda' and spec.batch_size == 64
        assert not spec.measure_memory  # measured apart, with and without cp
        assert spec.input_size == (224, 224)
    for spec in train + compiled:
        assert spec.modes == ('train', )
        assert sorted((v.impl, v.dtype) for v in spec.variants) == [
            ('mmconformer', 'bf16'), ('mmconformer', 'fp16'),
            ('mmpretrain', 'bf16'), ('mmpretrain', 'fp16')]
    assert [s.compile for s in train + compiled] == [False] * 2 + [True] * 2
    assert [s.model_cfg['backbone']['arch'] for s in train] == [
        'tiny', 'small']
    for spec in infer:
        settings = [v.setting for v in spec.variants]
        # every peer, and our fast path in fp16; no onnxruntime on CUDA
        assert 'cl+bf16+compile' in settings and 'fast-fp16' in settings
        assert 'fast-bf16' in settings and 'fp32' in settings
        assert not any(s.startswith('onnxrt') for s in settings)
    assert memory == [False, True]
    assert results['memory/small-p16']['peak_memory_mib'] == dict(
        plain=1024.0, with_cp=1024.0)


def test_the_budget_skips_the_rest_and_failures_are_recorded():
    now = [0.0]

    def task(seconds, fail=False):

        def run():
            now[0] += seconds
            if fail:
                raise RuntimeError('CUDA out of memory')
            return dict(done=True)

        return run

    tasks = [gpu_check.GpuTask('a', task(100)),
             gpu_check.GpuTask('b', task(50, fail=True)),
             gpu_check.GpuTask('c', task(200)),
             gpu_check.GpuTask('d', task(1))]
    report = gpu_check.run_gpu_check('cmd', tasks, budget_s=300,
                                     clock=lambda: now[0])
    assert report['sections'] == {
        'a': dict(done=True),
        'b': dict(error='RuntimeError: CUDA out of memory'),
        'c': dict(done=True),
        'd': dict(skipped='the 300 s budget was spent (350 s)')}
    assert report['seconds'] == 350 and report['kind'] == 'gpu_check'


def test_the_tool_writes_one_json_whose_tables_render(fake_gpu, monkeypatch,
                                                      tmp_path, capsys):
    FakeBenchmark.specs = []
    monkeypatch.setattr(gpu_check, 'ThroughputBenchmark', FakeBenchmark)
    monkeypatch.setattr(gpu_check, 'measure_peak_memory',
                        lambda spec, mode, variant: 3 * 2**30 if spec.
                        model_cfg['backbone'].get('with_cp') is False else
                        2**30)
    tool = load_tool('analysis_tools/gpu_check.py')
    monkeypatch.setattr(tool, 'run_gpu_tests', lambda: dict(
        command='pytest tests -m gpu', exit_status=0,
        summary='3 passed in 9.0s', seconds=9.0))
    out_json = tmp_path / 'gpu_check.json'
    code, out, err = call_main(tool, capsys, '--json', out_json)
    assert code == 0, err
    report = json.loads(out_json.read_text())
    assert report['gpu'] == 'Fake GPU' and len(report['sections']) == 8
    assert 'tests: 3 passed in 9.0s' in out
    assert 'train/tiny-p16: measured' in out
    from _helpers import load_benchmark_tables
    text = load_benchmark_tables().markdown_report(report)
    assert text.startswith('GPU: Fake GPU; torch ')
    assert '`pytest tests -m gpu`: 3 passed in 9.0s (exit status 0).' in text
    assert '| mmconformer cl+fp16 | train | 100.00 |' in text
    assert '| mmconformer fast-fp16 | infer |' in text
    assert 'peak 3,072 MiB, with `with_cp` 1,024 MiB (-67%)' in text


def test_bf16_means_bf16_on_a_gpu_that_computes_it(monkeypatch):
    cuda = torch.device('cuda')
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        lambda including_emulation=True: True)
    assert resolve_dtype('bf16', cuda)[0] is torch.bfloat16
    assert resolve_dtype('fp16', cuda)[0] is torch.float16
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        lambda including_emulation=True: False)
    dtype, reason = resolve_dtype('bf16', cuda)
    assert dtype is torch.float16 and 'does not compute bf16' in reason
    with pytest.raises(ValueError, match="int8' runs on x86 CPUs"):
        resolve_dtype('int8', cuda)
