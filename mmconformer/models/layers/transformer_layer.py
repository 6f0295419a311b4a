# Copyright (c) mmconformer contributors. All rights reserved.
"""Pre-norm transformer encoder layer, state-dict compatible with mmpretrain's
``TransformerEncoderLayer`` (``ln1``, ``attn.qkv``, ``attn.proj``, ``ln2``,
``ffn.layers.0.0``, ``ffn.layers.1``)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath

from ...utils import cpu_class
from .utils import LN_EPS

#: ``torch.export`` tracing (torch.compiler.is_exporting, torch >= 2.5); on
#: older torch nothing is exported that way, so it is always False there.
_is_exporting = getattr(torch.compiler, 'is_exporting', lambda: False)


def _matmul_attention(q: torch.Tensor, k: torch.Tensor,
                      v: torch.Tensor) -> torch.Tensor:
    """``softmax(q k^T / sqrt(d)) v`` as two batched matmuls: for bf16 on
    CPUs without AMX, and for ONNX export, whose TorchScript exporter has
    no ``scaled_dot_product_attention`` before opset 14 (mmdeploy exports
    at opset 11).

    On CPUs without AMX, torch's fused CPU attention kernel runs bf16
    slower than these two ``bmm`` calls for Conformer's ~200 tokens; with
    AMX it is the faster one (docs/en/benchmarks.md, "AMX, measured on
    the class"). The scores are rounded to bf16 before the softmax (as in
    timm's non-fused path), which about doubles the relative error of the
    attention output; it stays inside the documented bf16 tolerance.
    Autocast is switched off here because every
    input is bf16 already.
    """
    with torch.autocast(device_type='cpu', enabled=False):
        attn = (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)
        return attn.softmax(dim=-1) @ v


class MultiheadSelfAttention(nn.Module):
    """Multi-head self-attention on ``(B, N, C)`` tokens.

    It calls :func:`torch.nn.functional.scaled_dot_product_attention`,
    except for bf16 on a CPU without AMX, where two batched matmuls are
    faster, and while exporting (see ``_matmul_attention``). Whether the
    CPU has AMX is read once, at construction, into
    ``fused_bf16_on_cpu`` (under an instruction-set cap, the cap's
    answer).

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of heads; must divide ``embed_dims``.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.fused_bf16_on_cpu = cpu_class() == 'amx'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dims)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if (q.dtype == torch.bfloat16 and q.device.type == 'cpu'
                and not self.fused_bf16_on_cpu) or \
                torch.onnx.is_in_onnx_export() or \
                _is_exporting():
            x = _matmul_attention(q, k, v)
        else:
            x = F.scaled_dot_product_attention(q, k, v)
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class FeedForward(nn.Module):
    """Two-layer MLP with GELU. Its ``layers`` nesting reproduces the key
    names of mmcv's ``FFN`` (``layers.0.0`` and ``layers.1``)."""

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(embed_dims, hidden_dims), nn.GELU()),
            nn.Linear(hidden_dims, embed_dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class TransformerLayer(nn.Module):
    """Pre-norm ViT block: ``x + attn(ln1(x))``, then ``x + ffn(ln2(x))``,
    each residual branch under stochastic depth.

    Args:
        embed_dims (int): Token width.
        num_heads (int): Number of attention heads.
        mlp_ratio (float): FFN hidden width over ``embed_dims``.
            Defaults to 4.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        drop_path_rate (float): Stochastic-depth rate. Defaults to 0.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dims, eps=LN_EPS)
        self.attn = MultiheadSelfAttention(embed_dims, num_heads, qkv_bias)
        self.ln2 = nn.LayerNorm(embed_dims, eps=LN_EPS)
        self.ffn = FeedForward(embed_dims, int(embed_dims * mlp_ratio))
        self.drop_path = (
            DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.ln1(x)))
        return x + self.drop_path(self.ffn(self.ln2(x)))
