"""Self-attention: SDPA in fp32/fp64, two bf16 matmuls for bf16 on CPU."""
import torch
import torch.nn.functional as F

from mmconformer.models.layers.transformer_layer import (
    MultiheadSelfAttention, _matmul_attention)


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


def test_bf16_on_cpu_takes_the_matmul_path():
    attn, x = make(torch.bfloat16)
    B, N, C = x.shape
    with torch.no_grad():
        q, k, v = attn.qkv(x).reshape(B, N, 3, 4, 16).permute(2, 0, 3, 1, 4)
        expected = attn.proj(
            _matmul_attention(q, k, v).transpose(1, 2).reshape(B, N, C))
        sdpa = attn.proj(
            F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(
                B, N, C))
        out = attn(x)
    assert torch.equal(out, expected)
    assert not torch.equal(out, sdpa)  # the check above can tell them apart


def test_bf16_autocast_stays_within_tolerance_of_fp32_with_gradients():
    """The bf16 tolerance documented in docs/en/errors_and_limits.md:
    relative L2 error of the output below 2e-2, of the input gradient below
    3e-2."""
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
