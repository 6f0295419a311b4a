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
#: A 3-class classifier of TINY_ARCH, 16 base channels, patch 32: seconds to
#: build, trace or time at 64x64.
TINY_PATCH32_CLASSIFIER = dict(
    type='ImageClassifier',
    backbone=dict(type='ConformerBackbone', arch=TINY_ARCH, base_channels=16,
                  patch_size=32),
    head=dict(type='DualBranchClsHead', num_classes=3, in_channels=[64, 32]))


def load_tool(relpath: str):
    """Import a script under tools/ as a module (to call its ``main`` or
    ``parse_args`` in this process)."""
    path = osp.join(REPO_ROOT, 'tools', relpath)
    name = 'tool_' + osp.splitext(relpath)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_benchmark_tables():
    """docs/benchmark_tables.py, the script that renders the JSON reports
    in the docs, as a module."""
    path = osp.join(REPO_ROOT, 'docs', 'benchmark_tables.py')
    spec = importlib.util.spec_from_file_location('benchmark_tables', path)
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


DEMO_CONFIG = osp.join(CONFIG_DIR, 'demo',
                       'conformer-tiny-p16_1xb32_shapes.py')


def write_tiny_config(path, base_channels: int = 64, extra: str = '',
                      base: str = DEMO_CONFIG) -> str:
    """Write a config file that inherits ``base`` (default: the shapes demo
    config) with :data:`TINY_ARCH` and the head that fits it, plus the
    ``extra`` lines: the tools' tests run a real config file in seconds.
    Returns the path."""
    head_in = [4 * base_channels, TINY_ARCH['embed_dims']]
    with open(path, 'w') as f:
        f.write(f'_base_ = [{str(base)!r}]\n'
                f'model = dict(\n'
                f'    backbone=dict(arch=dict(_delete_=True, **{TINY_ARCH!r}),'
                f'\n                  base_channels={base_channels}),\n'
                f'    head=dict(in_channels={head_in!r}))\n' + extra)
    return str(path)


def call_main(tool, capsys, *args):
    """``tool.main(args)`` (a module from :func:`load_tool`) in this process,
    which saves the ~10 s a subprocess spends importing mmpretrain: the exit
    code (argparse's ``SystemExit`` included), stdout and stderr. The default
    scope a tool sets stays inside the call."""
    from mmengine.registry import DefaultScope
    capsys.readouterr()
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            code = tool.main([str(a) for a in args])
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code or 0, out.out, out.err


#: The shapes demo's classes, in CustomDataset's (sorted folder) order.
SHAPES_CLASSES = ('bar', 'cross', 'disc', 'ring', 'square', 'triangle')


def save_classifier_checkpoint(config: str, path) -> str:
    """Build the classifier of ``config``, give it non-trivial BatchNorm
    statistics and save it as training would (with the shapes' classes in
    its meta): a checkpoint for tools' tests without a training run."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    randomize_batchnorm(model)
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': SHAPES_CLASSES}}},
               path)
    return str(path)


def unmount(path) -> None:
    """Unmount a test's tmpfs; a busy one (a file still open in it) is
    detached lazily, so that no mount outlives the test session."""
    import subprocess
    if subprocess.run(['umount', str(path)],
                      capture_output=True).returncode:
        subprocess.run(['umount', '-l', str(path)], check=True)
