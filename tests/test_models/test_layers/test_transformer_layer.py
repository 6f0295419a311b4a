"""Self-attention: SDPA in fp32/fp64 and for bf16 on CPUs with AMX, two
bf16 matmuls for bf16 on other CPUs."""
import pytest
import torch
import torch.nn.functional as F

from mmconformer.models.layers import transformer_layer
from mmconformer.models.layers.transformer_layer import (
    MultiheadSelfAttention, _matmul_attention)

#: a CPU class without AMX and the one with it
CLASSES = ('avx512_core_bf16', 'amx')


def reference_attention(attn, x):
    """Textbook multi-head attention with the module's weights."""
    B, N, C = x.shape
    q, k, v = attn.qkv(x).reshape(B, N, 3, attn.num_heads,
                                  attn.head_dims).permute(2, 0, 3, 1, 4)
    weights = (q @ k.transpose(-2, -1) / attn.head_dims**0.5).softmax(-1)
    out = (weights @ v).transpose(1, 2).reshape(B, N, C)
    return attn.proj(out)


def make(dtype=torch.float32):
    torch.manual_seed(0)
    attn = MultiheadSelfAttention(64, 4)
    for p in attn.parameters():  # scores of O(1..10), like a trained model
        torch.nn.init.normal_(p, std=0.15)
    x = torch.randn(3, 50, 64)
    return attn.to(dtype), x.to(dtype)


def test_float64_matches_textbook_attention():
    attn, x = make(torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(attn(x), reference_attention(attn, x),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('cpu', CLASSES)
def test_bf16_on_cpu_takes_the_fused_kernel_only_with_amx(monkeypatch, cpu):
    monkeypatch.setattr(transformer_layer, 'cpu_class', lambda: cpu)
    attn, x = make(torch.bfloat16)
    assert attn.fused_bf16_on_cpu == (cpu == 'amx')
    B, N, C = x.shape
    with torch.no_grad():
        q, k, v = attn.qkv(x).reshape(B, N, 3, 4, 16).permute(2, 0, 3, 1, 4)
        matmuls = attn.proj(
            _matmul_attention(q, k, v).transpose(1, 2).reshape(B, N, C))
        sdpa = attn.proj(
            F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(
                B, N, C))
        out = attn(x)
    assert not torch.equal(matmuls, sdpa)  # the checks can tell them apart
    assert torch.equal(out, sdpa if cpu == 'amx' else matmuls)


@pytest.mark.parametrize('cpu', CLASSES)
def test_bf16_autocast_stays_within_tolerance_of_fp32_with_gradients(
        monkeypatch, cpu):
    """The bf16 tolerance documented in docs/en/errors_and_limits.md:
    relative L2 error of the output below 2e-2, of the input gradient below
    3e-2, on either path."""
    monkeypatch.setattr(transformer_layer, 'cpu_class', lambda: cpu)
    attn, x = make()
    x.requires_grad_(True)
    ref = attn(x)
    ref.square().sum().backward()
    ref_grad = x.grad.clone()
    x.grad = None
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = attn(x)
    assert out.dtype == torch.bfloat16
    out.float().square().sum().backward()

    def rel(a, b):
        return ((a.float() - b).norm() / b.norm()).item()

    assert rel(out, ref) < 2e-2
    assert rel(x.grad, ref_grad) < 3e-2
