import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import pytest
import torch
from _helpers import (CONFIG_DIR, REPO_ROOT, TINY_ARCH, call_main, load_tool,
                      randomize_batchnorm)
from _official_layout import to_official
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmconformer.checkpoint import (CheckpointError, ConversionError,
                                    convert_official_state_dict,
                                    infer_official_arch, is_official_layout,
                                    load_checkpoint_file)

TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters',
                'conformer_to_mmpretrain.py')


def tiny_classifier(num_classes=7, patch_size=32):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ConformerBackbone', arch=TINY_ARCH, base_channels=16,
                patch_size=patch_size),
            head=dict(
                type='DualBranchClsHead', num_classes=num_classes,
                in_channels=[64, 32])))


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_ROOT)


@pytest.mark.parametrize('wrap', [True, False])
def test_round_trip_gives_same_logits(wrap):
    model = tiny_classifier()
    randomize_batchnorm(model)
    official = to_official(model.state_dict())
    assert is_official_layout(official)
    state_dict, meta = convert_official_state_dict(
        {'model': official} if wrap else official)
    fresh = tiny_classifier()
    fresh.load_state_dict(state_dict, strict=True)
    info = meta['arch_info']
    assert info['arch'] == dict(embed_dims=32, depths=3, num_heads=1,
                                channel_ratio=0.25) or info['embed_dims'] == 32
    assert (info['patch_size'], info['depth'], info['num_classes']) == (32, 3,
                                                                        7)
    x = torch.randn(2, 3, 64, 64)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            sum(fresh(x, mode='tensor')), sum(model(x, mode='tensor')))


def test_infers_published_arch_and_config():
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'conformer-small-p32_8xb128_in1k.py'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    info = infer_official_arch(to_official(model.state_dict()))
    assert info['arch'] == 'small'
    assert (info['patch_size'], info['embed_dims'], info['channel_ratio'],
            info['depth'], info['num_heads']) == (32, 384, 4, 12, 6)


def test_cli_converts_published_arch_and_loads_into_config(tmp_path):
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'conformer-tiny-p16_8xb128_in1k.py'))
    model = MODELS.build(cfg.model)
    src, dst = tmp_path / 'official.pth', tmp_path / 'converted.pth'
    torch.save({'model': to_official(model.state_dict())}, src)
    result = run_tool(src, dst)
    assert result.returncode == 0, result.stderr
    assert 'Inferred arch: tiny' in result.stdout
    assert 'patch_size=16' in result.stdout
    assert 'configs/conformer-tiny-p16_8xb128_in1k.py' in result.stdout
    checkpoint = load_checkpoint_file(dst)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['arch_info']['arch'] == 'tiny'
    fresh = MODELS.build(cfg.model)
    fresh.load_state_dict(checkpoint['state_dict'], strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def _official_tiny():
    return to_official(tiny_classifier().state_dict())


@pytest.mark.parametrize('mutate,match', [
    # keys that define the arch
    (lambda sd: sd.pop('trans_patch_conv.weight'), 'trans_patch_conv'),
    (lambda sd: sd.pop('conv1.weight'), "missing key 'conv1.weight'"),
    # a module Conformer does not have
    (lambda sd: sd.update({'pos_embed': torch.zeros(1)}),
     "1 unknown key.*'pos_embed'"),
])
def test_pure_conversion_errors(mutate, match):
    """The pure function renames and infers; it refuses what is not an
    official Conformer state dict without building a model."""
    sd = _official_tiny()
    mutate(sd)
    with pytest.raises(ConversionError, match=match):
        convert_official_state_dict(sd)


def test_pure_conversion_builds_no_model(monkeypatch):
    from mmpretrain.registry import MODELS
    official = _official_tiny()
    monkeypatch.setattr(MODELS, 'build', lambda *a, **k: pytest.fail(
        'the converter built a model'))
    state_dict, _ = convert_official_state_dict(official)
    assert 'backbone.trans_1.ln1.weight' in state_dict


@pytest.mark.parametrize('mutate,match', [
    (lambda sd: sd.pop('conv_trans_2.trans_block.mlp.fc1.weight'),
     "1 of .* keys are missing, first "
     "'conv_trans_2.trans_block.mlp.fc1.weight'"),
    (lambda sd: sd.update({'conv_trans_2.med_block.0.conv1.weight':
                           torch.zeros(1)}),
     "1 unexpected key.*'conv_trans_2.med_block.0.conv1.weight'"),
    (lambda sd: sd.update({'trans_norm.weight': torch.zeros(5)}),
     r'trans_norm.weight has shape \(5,\) in the checkpoint but \(32,\)'),
])
def test_cli_checks_every_key_and_shape_against_a_model(
        tmp_path, capsys, mutate, match):
    """Completeness and shapes are checked by the CLI, against a model of
    the inferred arch; messages use the official key names."""
    sd = _official_tiny()
    mutate(sd)
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    torch.save({'model': sd}, src)
    tool = load_tool('model_converters/conformer_to_mmpretrain.py')
    assert tool.main([str(src), str(dst)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and len(err.splitlines()) == 1
    assert re.search(match, err), err
    assert not dst.exists()


def test_refuses_mmpretrain_layout_and_non_state_dicts():
    with pytest.raises(ConversionError, match='already in the mmpretrain'):
        convert_official_state_dict(
            {'state_dict': tiny_classifier().state_dict()})
    with pytest.raises(ConversionError, match='not a tensor'):
        convert_official_state_dict({'model': {'a': 1}})
    with pytest.raises(ConversionError, match='expected an official'):
        convert_official_state_dict([1, 2])


@pytest.mark.parametrize('kind', ['missing', 'truncated', 'garbage',
                                  'incomplete'])
def test_cli_errors_exit_nonzero_and_leave_dst(tmp_path, kind, capsys):
    """In this process (test_checkpoint_io's real-process run shows that
    nothing else reaches stderr)."""
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    dst.write_bytes(b'previous content')
    if kind == 'truncated':
        torch.save({'model': _official_tiny()}, src)
        data = src.read_bytes()
        src.write_bytes(data[:len(data) // 2])
    elif kind == 'garbage':
        src.write_bytes(b'not a checkpoint at all')
    elif kind == 'incomplete':
        sd = _official_tiny()
        del sd['conv_cls_head.bias']
        torch.save(sd, src)
    tool = load_tool('model_converters/conformer_to_mmpretrain.py')
    code, _, err = call_main(tool, capsys, src, dst)
    assert code == 1
    err = err.strip()
    assert err.startswith('error:') and len(err.splitlines()) == 1, err
    assert dst.read_bytes() == b'previous content'
    assert sorted(os.listdir(tmp_path)) == sorted(
        ['dst.pth'] + (['src.pth'] if kind != 'missing' else []))


class _Exploit:
    """Unpickling this would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


# the plain unpickle at the end runs the exploit, which leaves its file open
@pytest.mark.filterwarnings('ignore::ResourceWarning')
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    src, dst = tmp_path / 'evil.pth', tmp_path / 'out.pth'
    with open(src, 'wb') as f:
        torch.save({'model': _official_tiny(), 'x': _Exploit(str(marker))}, f)
    with pytest.raises(CheckpointError, match='refusing to load'):
        load_checkpoint_file(str(src))
    result = run_tool(src, dst)
    assert result.returncode == 1
    assert 'run code' in result.stderr
    assert not marker.exists() and not dst.exists()
    # The exploit is real: a plain unpickle would run it.
    with open(src, 'rb') as f:
        data = f.read()
    del data
    with open(tmp_path / 'raw.pkl', 'wb') as f:
        pickle.dump(_Exploit(str(marker)), f)
    with open(tmp_path / 'raw.pkl', 'rb') as f:
        pickle.load(f)
    assert marker.exists()


def test_deit_style_args_namespace_is_accepted(tmp_path):
    import argparse
    src = tmp_path / 'deit.pth'
    torch.save({'model': _official_tiny(), 'epoch': 3,
                'args': argparse.Namespace(lr=1e-3)}, src)
    checkpoint = load_checkpoint_file(str(src))
    convert_official_state_dict(checkpoint)
