"""Shared constants and helpers of the test suite."""
import importlib.util
import os.path as osp

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO_ROOT, 'configs')

#: A small arch for fast tests: 3 blocks, one per stage.
TINY_ARCH = dict(embed_dims=32, depths=3, num_heads=2, channel_ratio=1)
#: Six blocks, two per stage (stage 1 then has one ConvTransBlock).
SMALL_ARCH = dict(embed_dims=32, depths=6, num_heads=4, channel_ratio=1)


def load_tool(relpath: str):
    """Import a script under tools/ as a module (to call its ``main`` or
    ``parse_args`` in this process)."""
    path = osp.join(REPO_ROOT, 'tools', relpath)
    name = 'tool_' + osp.splitext(relpath)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomize_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial running stats and affine params."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(
                    torch.randn(m.running_mean.shape, generator=gen) * 0.2)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=gen) + 0.5)
                m.weight.copy_(
                    1 + torch.randn(m.weight.shape, generator=gen) * 0.2)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
