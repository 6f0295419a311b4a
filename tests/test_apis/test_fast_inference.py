"""optimize_for_inference: folded, channels_last, reduced precision where
the hardware has it, compiled with freezing."""
import pytest
import torch
from _helpers import CONFIG_DIR, TINY_ARCH, randomize_batchnorm
from mmengine.config import Config

from mmconformer.apis import (load_classifier, optimize_for_inference,
                              resolve_dtype)
from mmconformer.apis import fast_inference
from mmconformer.apis.fast_inference import AutocastModule, FrozenCompiled

DEMO = f'{CONFIG_DIR}/demo/conformer-tiny-p16_1xb32_shapes.py'


def tiny_classifier():
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone.update(arch=TINY_ARCH, drop_path_rate=0.)
    cfg.model.head.in_channels = [256, TINY_ARCH['embed_dims']]
    model = load_classifier(cfg)
    randomize_batchnorm(model)
    return model


def logits(model, x):
    with torch.no_grad():
        return sum(model(x, mode='tensor'))


@pytest.fixture
def native_bf16(monkeypatch):
    monkeypatch.setattr(fast_inference, 'has_native_bf16', lambda: True)


@pytest.fixture
def no_native_bf16(monkeypatch):
    monkeypatch.setattr(fast_inference, 'has_native_bf16', lambda: False)


def test_resolve_dtype_on_each_kind_of_machine(monkeypatch):
    cpu, cuda = torch.device('cpu'), torch.device('cuda', 0)
    assert resolve_dtype('fp32', cpu)[0] is None
    assert resolve_dtype('fp32', cuda)[0] is None
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        lambda including_emulation=True: False)
    assert resolve_dtype('bf16', cuda)[0] is torch.float16
    assert resolve_dtype('fp16', cpu)[0] is None  # no fast fp16 on CPUs
    monkeypatch.setattr(fast_inference, 'has_native_bf16', lambda: True)
    assert resolve_dtype('bf16', cpu)[0] is torch.bfloat16
    monkeypatch.setattr(fast_inference, 'has_native_bf16', lambda: False)
    dtype, reason = resolve_dtype('bf16', cpu)
    assert dtype is None and 'neither AMX nor AVX512-BF16' in reason
    with pytest.raises(ValueError, match=r"one of \['bf16', 'fp16', 'fp32', "
                       r"'int8'\], got 'int4'"):
        resolve_dtype('int4', cpu)


def test_fp32_copy_folds_and_keeps_the_logits():
    model = tiny_classifier()
    x = torch.randn(2, 3, 64, 80)
    fast = optimize_for_inference(model, 'fp32', compile=False)
    assert not any(isinstance(m, torch.nn.BatchNorm2d)
                   for m in fast.backbone.modules())
    # the original is left as it was
    assert any(isinstance(m, torch.nn.BatchNorm2d)
               for m in model.backbone.modules())
    conv = fast.backbone.conv1
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert fast.backbone.channels_last is True
    torch.testing.assert_close(logits(fast, x), logits(model, x),
                               rtol=1e-4, atol=1e-4)


def test_bf16_where_the_cpu_has_it(native_bf16):
    model = tiny_classifier()
    x = torch.randn(2, 3, 64, 64)
    fast = optimize_for_inference(model, 'bf16', compile=False)
    assert isinstance(fast.backbone, AutocastModule)
    assert fast.backbone.dtype is torch.bfloat16
    # BN stays for reduced precision: Inductor folds it in fp32 when
    # compiling, and eager bf16 is closer to fp32 with it
    assert any(isinstance(m, torch.nn.BatchNorm2d)
               for m in fast.backbone.modules())
    # attributes still read through the wrapper
    assert fast.backbone.out_type == 'cls_token'
    got, expected = logits(fast, x), logits(model, x)
    assert got.dtype == torch.float32
    rel = (got - expected).abs().max() / expected.abs().max()
    assert 0 < rel < 2e-2


def test_fp32_where_the_cpu_lacks_bf16(no_native_bf16, monkeypatch):
    logged = []
    monkeypatch.setattr(fast_inference, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    fast = optimize_for_inference(tiny_classifier(), 'bf16', compile=False)
    assert not isinstance(fast.backbone, AutocastModule)
    (message, ) = logged
    assert 'fp32: this CPU has neither AMX nor AVX512-BF16' in message


@pytest.mark.parametrize('bf16_gpu', [True, False])
def test_cuda_runs_in_half_precision(monkeypatch, bf16_gpu):
    """The device is patched (the model is not run): bf16 where the GPU
    computes it, else fp16."""
    monkeypatch.setattr(fast_inference, '_model_device',
                        lambda model: torch.device('cuda', 0))
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        lambda including_emulation=True: bf16_gpu)
    fast = optimize_for_inference(tiny_classifier(), 'bf16', compile=False)
    assert isinstance(fast.backbone, AutocastModule)
    assert (fast.backbone.device_type, fast.backbone.dtype) == (
        'cuda', torch.bfloat16 if bf16_gpu else torch.float16)


def test_compile_wraps_the_backbone(monkeypatch, native_bf16):
    """The backbone is compiled once, and every call runs with Inductor's
    freezing and C++ wrapper on (a compile happens at a call)."""
    import torch._inductor.config as inductor_config
    calls, flags = [], []

    def fake_compile(module, **kwargs):
        calls.append((module, kwargs))

        def run(*args):
            flags.append((inductor_config.freezing,
                          inductor_config.cpp_wrapper))
            return module(*args)

        return run

    monkeypatch.setattr(torch, 'compile', fake_compile)
    fast = optimize_for_inference(tiny_classifier(), 'bf16', dynamic=True)
    ((module, kwargs), ) = calls
    assert isinstance(fast.backbone, FrozenCompiled)
    assert module is fast.backbone.module and isinstance(module,
                                                         AutocastModule)
    assert kwargs == dict(dynamic=True)
    assert fast.backbone.out_type == 'cls_token'  # read through both
    with torch.no_grad():
        fast(torch.randn(1, 3, 64, 64), mode='tensor')
    # dynamic shapes: no C++ wrapper (torch 2.14 cannot generate it)
    assert flags == [(True, False)]
    assert not inductor_config.freezing  # only while a call runs
    static = optimize_for_inference(tiny_classifier(), 'bf16')
    assert calls[-1][1] == dict(dynamic=False)
    with torch.no_grad():
        static(torch.randn(1, 3, 64, 64), mode='tensor')
    assert flags[-1] == (True, True)


def test_a_non_conformer_model_is_refused():
    with pytest.raises(TypeError, match='ConformerBackbone, got Linear'):
        optimize_for_inference(torch.nn.Linear(2, 2))


@pytest.mark.slow
def test_compiled_copy_predicts_like_the_model(native_bf16):
    """Really compiled (Inductor, freezing), in bf16: predict and tensor
    mode give the eager fp32 model's answers within bf16 tolerance."""
    model = tiny_classifier()
    fast = optimize_for_inference(model, 'bf16')
    x = torch.randn(3, 3, 64, 64)
    got, expected = logits(fast, x), logits(model, x)
    assert (got - expected).abs().max() / expected.abs().max() < 2e-2
    with torch.no_grad():
        samples = fast.predict(x)
    assert [int(s.pred_label) for s in samples] == \
        expected.argmax(1).tolist()
