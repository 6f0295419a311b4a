"""Every path that loads weights into a model for use refuses a checkpoint
that does not fit its config, with one line naming the first key that
differs, converts an official-layout checkpoint on the fly, and loads
leniently only when told to (logging what it left out in a few lines)."""
import os.path as osp
import re
import shutil
import sys

import pytest
import torch
from _helpers import (SHAPES_CLASSES, SMALL_ARCH, call_main, load_tool,
                      randomize_batchnorm, write_tiny_config)
from _official_layout import to_official
from _training import data_options, make_shapes, run
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmconformer.apis import load_classifier
from mmconformer.checkpoint import CheckpointError
from mmconformer.checkpoint import load_checkpoint_file

MIM = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')
#: case -> what the one-line refusal must name (None: it loads)
CASES = {
    'other_arch': r"keys are missing, first 'backbone\.conv_trans_2\.cnn_block"
                  r"\.residual_conv\.weight'; \d+ unexpected key\(s\), "
                  r"first 'backbone\.conv_trans_",
    'missing_key': r"1 of \d+ keys are missing, first 'backbone\.conv1\."
                   r"weight'",
    'extra_key': r"1 unexpected key\(s\), first 'backbone\.extra\.weight'",
    'other_classes': r'head\.conv_cls_head\.weight has shape \(10, 64\) in '
                     r'the checkpoint but \(6, 64\) in the model: the '
                     r'checkpoint has a head for another number of classes',
    'official': None,
}


def build(config):
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    randomize_batchnorm(model)
    return model


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """The tiny config, a model of it, and one checkpoint per case."""
    tmp = tmp_path_factory.mktemp('fit')
    config = write_tiny_config(tmp / 'tiny.py', base_channels=16)
    model = build(config)
    state = model.state_dict()
    small = write_tiny_config(
        tmp / 'small.py', base_channels=16,
        extra=f"model['backbone']['arch'] = dict(_delete_=True, "
        f'**{SMALL_ARCH!r})\n')
    ten = write_tiny_config(tmp / 'ten.py', base_channels=16,
                            extra="model['head']['num_classes'] = 10\n")
    states = {
        'other_arch': build(small).state_dict(),
        'missing_key': {k: v for k, v in state.items()
                        if k != 'backbone.conv1.weight'},
        'extra_key': dict(state, **{'backbone.extra.weight': torch.ones(1)}),
        'other_classes': build(ten).state_dict(),
    }
    meta = {'dataset_meta': {'classes': SHAPES_CLASSES}}
    paths = {}
    for case, case_state in states.items():
        paths[case] = tmp / f'{case}.pth'
        torch.save({'state_dict': case_state, 'meta': meta}, paths[case])
    paths['official'] = tmp / 'official.pth'
    torch.save({'model': to_official(state)}, paths['official'])
    return dict(config=config, model=model, paths=paths, tmp=tmp)


def test_the_cases_are_what_they_say(setup):
    assert Config.fromfile(str(setup['tmp'] / 'small.py')).model.backbone[
        'arch'] == SMALL_ARCH


@pytest.mark.parametrize('case', CASES)
def test_load_classifier(setup, case):
    path = str(setup['paths'][case])
    if CASES[case] is None:
        model = load_classifier(setup['config'], path)
        for key, value in setup['model'].state_dict().items():
            torch.testing.assert_close(model.state_dict()[key], value)
        return
    with pytest.raises(CheckpointError, match=CASES[case]) as info:
        load_classifier(setup['config'], path)
    assert info.value.reason == 'layout' and '\n' not in str(info.value)


def test_non_strict_loads_what_fits_and_says_so_in_a_few_lines(
        setup, capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('non-strict-test', log_level='INFO')
    model = load_classifier(setup['config'],
                            str(setup['paths']['other_classes']),
                            strict=False)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.strip()]
    loaded = [line for line in lines if 'non-strict' in line]
    assert len(loaded) == 1 and re.search(r'Loaded \d+ of \d+ tensors',
                                          loaded[0])
    assert any('4 of another shape, left as initialised: '
               'head.conv_cls_head.weight (10, 64) vs (6, 64)' in line
               for line in lines), lines
    assert len(lines) <= 4  # not a line per key
    # the backbone is the checkpoint's, the head is new
    saved = load_checkpoint_file(setup['paths']['other_classes'])['state_dict']
    torch.testing.assert_close(model.state_dict()['backbone.conv1.weight'],
                               saved['backbone.conv1.weight'])
    assert model.head.conv_cls_head.out_features == 6


# ---------------------------------------------------------------------- #
# The tools: one line, exit status 1, no traceback
# ---------------------------------------------------------------------- #
def tool_args(setup, name, case, image):
    """The command line of each tool that loads a checkpoint."""
    config, ckpt = setup['config'], setup['paths'][case]
    out = setup['tmp'] / f'{name}-{case}'
    return {
        'infer.py': [config, ckpt, image],
        'visualization/vis_cam.py': [image, config, ckpt, '--save-path',
                                     f'{out}.png', '--branch', 'conv'],
        'analysis_tools/pointing_game.py': [config, ckpt, setup['shapes'],
                                            '--methods', 'gradcam',
                                            '--limit', '1'],
        'deployment/pytorch2onnx.py': [config, ckpt, '--output-file',
                                       f'{out}.onnx', '--shape', '64', '64'],
        'analysis_tools/fast_inference_numerics.py': [
            config, ckpt, '--dtype', 'fp32', '--no-compile', '--cfg-options',
            *data_options(setup['shapes'])],
    }[name]


TOOLS = ('infer.py', 'visualization/vis_cam.py',
         'analysis_tools/pointing_game.py', 'deployment/pytorch2onnx.py',
         'analysis_tools/fast_inference_numerics.py')


@pytest.fixture(scope='module')
def with_shapes(setup):
    pytest.importorskip('pytorch_grad_cam')
    setup['shapes'] = make_shapes(setup['tmp'] / 'shapes', train=1, val=1,
                                  size=64, masks=True)
    return setup


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('name', TOOLS)
def test_every_tool_loads_only_weights_that_fit(with_shapes, name, case,
                                                capsys):
    if name == 'deployment/pytorch2onnx.py':
        pytest.importorskip('onnxscript')
    image = str(next((with_shapes['shapes'] / 'val' / 'disc').iterdir()))
    tool = load_tool(name)
    code, out, err = call_main(tool, capsys,
                               *tool_args(with_shapes, name, case, image))
    if CASES[case] is None:
        assert code == 0, err
        return
    assert code == 1 and 'Traceback' not in err
    (line, ) = err.strip().splitlines()
    assert line.startswith('error: ') and re.search(CASES[case], line), line


# ---------------------------------------------------------------------- #
# The runner: tools/test.py, mim test, load_from in training
# ---------------------------------------------------------------------- #
@pytest.mark.parametrize('case', CASES)
def test_tools_test_py(with_shapes, case, capsys):
    tool = load_tool('test.py')
    code, out, err = call_main(
        tool, capsys, with_shapes['config'], with_shapes['paths'][case],
        '--work-dir', with_shapes['tmp'] / f'test-{case}', '--cfg-options',
        *data_options(with_shapes['shapes']))
    if CASES[case] is None:
        assert code == 0, err
        assert 'accuracy/top1' in out
        return
    assert code == 1 and 'Traceback' not in err
    (line, ) = err.strip().splitlines()
    assert re.search(CASES[case], line), line


def test_tools_test_py_non_strict(with_shapes, capsys):
    tool = load_tool('test.py')
    code, out, err = call_main(
        tool, capsys, with_shapes['config'],
        with_shapes['paths']['other_classes'], '--non-strict', '--work-dir',
        with_shapes['tmp'] / 'test-non-strict', '--cfg-options',
        *data_options(with_shapes['shapes']))
    assert code == 0, err
    assert re.search(r'Loaded \d+ of \d+ tensors .* \(non-strict\)', out)


@pytest.mark.parametrize('case', ['other_classes', 'official'])
def test_load_from_in_training(with_shapes, case, capsys):
    tool = load_tool('train.py')
    code, out, err = call_main(
        tool, capsys, with_shapes['config'], '--work-dir',
        with_shapes['tmp'] / f'train-{case}', '--cfg-options',
        f'load_from={with_shapes["paths"][case]}', 'train_cfg.max_epochs=1',
        *data_options(with_shapes['shapes']))
    if CASES[case] is None:
        assert code == 0, err
        assert f'Load checkpoint from {with_shapes["paths"][case]}' in out
        return
    assert code == 1
    assert re.search(CASES[case], err.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.plain_clone
def test_mim_test_refuses_another_arch(with_shapes):
    """mmpretrain's own tools/test.py, through mim: our runner loads."""
    with pytest.raises(AssertionError) as info:
        run([MIM, 'test', 'mmpretrain', str(with_shapes['config']),
             '--checkpoint', str(with_shapes['paths']['other_arch']),
             '--gpus', '0', '--work-dir', str(with_shapes['tmp'] / 'mim'),
             '--cfg-options', *data_options(with_shapes['shapes'])])
    assert re.search(CASES['other_arch'], str(info.value))
