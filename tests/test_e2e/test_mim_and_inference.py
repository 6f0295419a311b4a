"""The OpenMMLab command line (mim) and inference on a trained checkpoint."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from _helpers import REPO_ROOT
from _training import DEMO, TOOLS, data_options, make_shapes, run

MIM = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A checkpoint trained for 1 epoch with `mim train mmpretrain --amp`,
    with CUDA hidden (``run`` forces the CPU path on any machine), so that
    --amp must become bf16 autocast; test_gpu.py covers fp16 on a GPU."""
    tmp = tmp_path_factory.mktemp('mim')
    data = make_shapes(tmp / 'shapes', train=6, val=2)
    work = tmp / 'work'
    log = run([
        MIM, 'train', 'mmpretrain', DEMO, '--gpus', '0', '--amp',
        '--work-dir', str(work), '--cfg-options', *data_options(data),
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ])
    return dict(data=data, work=work, log=log)


@pytest.mark.slow
@pytest.mark.plain_clone
def test_mim_train_runs_mmpretrains_train_py(trained):
    assert 'Epoch(train) [1]' in trained['log']
    assert 'mmpretrain' in trained['log']  # mmpretrain's tools/train.py
    assert osp.isfile(trained['work'] / 'epoch_1.pth')


@pytest.mark.slow
def test_mim_train_amp_runs_bf16_autocast_on_cpu(trained):
    """mmpretrain's --amp asks for AmpOptimWrapper, which mmengine refuses
    without a GPU; our configs' constructor trains in bf16 instead."""
    # CPU path forced on any machine: run() hides CUDA (_training.CPU_ONLY)
    assert 'no accelerator found, so mixed precision runs as ' \
        'BF16AutocastOptimWrapper' in trained['log']
    assert 'Epoch(train) [1][2/2]' in trained['log']


@pytest.mark.slow
@pytest.mark.plain_clone
def test_mim_test_evaluates(trained):
    log = run([
        MIM, 'test', 'mmpretrain', DEMO, '--checkpoint',
        str(trained['work'] / 'epoch_1.pth'), '--gpus', '0', '--work-dir',
        str(trained['work'] / 'test'), '--cfg-options',
        *data_options(trained['data'])
    ])
    assert 'accuracy/top1' in log


@pytest.mark.slow
@pytest.mark.plain_clone
def test_get_model_and_inferencer_agree(trained):
    import mmconformer  # noqa: F401
    from mmpretrain import get_model
    from mmpretrain.apis import ImageClassificationInferencer
    ckpt = str(trained['work'] / 'epoch_1.pth')
    image = str(trained['data'] / 'val' / 'ring' / '00000.png')
    model = get_model(DEMO, pretrained=ckpt)
    assert model._dataset_meta['classes'][3] == 'ring'
    by_model = ImageClassificationInferencer(model=model)(image)[0]
    by_inferencer = ImageClassificationInferencer(
        model=DEMO, pretrained=ckpt)(image)[0]
    assert by_model['pred_label'] == by_inferencer['pred_label']
    assert by_model['pred_class'] == by_inferencer['pred_class']
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'infer.py'), DEMO, ckpt, image],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(row for row in result.stdout.splitlines()
                if row.startswith(image + '\t')).split('\t')
    assert line[0] == image and line[1] == by_model['pred_class']
    assert abs(float(line[2]) - by_model['pred_score']) < 1e-3


def test_infer_tool_reports_missing_files(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'infer.py'), DEMO,
         str(tmp_path / 'none.pth'), 'x.png'],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 1
    assert 'file not found' in result.stderr


@pytest.fixture(scope='module')
def tiny_classifier(tmp_path_factory):
    """The demo config with a 3-block arch and a checkpoint of it (random
    weights, non-trivial BatchNorm statistics, the demo's classes): what
    --fast compiles in seconds rather than a minute."""
    from _helpers import save_classifier_checkpoint, write_tiny_config
    tmp = tmp_path_factory.mktemp('tiny')
    config = write_tiny_config(tmp / 'tiny.py', base_channels=16)
    return config, save_classifier_checkpoint(config, tmp / 'tiny.pth')


@pytest.mark.slow
def test_infer_tool_fast_path_gives_the_same_answers(trained,
                                                     tiny_classifier):
    """--fast fp32 (folded, channels_last, compiled with freezing) ranks the
    val images as the eager model does, through the same Inferencer."""
    config, ckpt = tiny_classifier
    images = sorted(str(p) for p in (trained['data'] / 'val').rglob('*.png'))

    def classify(*extra):
        out = run([sys.executable, osp.join(TOOLS, 'infer.py'), config, ckpt,
                   *images, '--batch-size', '4', *extra])
        rows = [line.split('\t') for line in out.splitlines()
                if line.split('\t')[0] in images]
        return {row[0]: (row[1], float(row[2])) for row in rows}, out

    eager, _ = classify()
    fast, log = classify('--fast', 'fp32')
    assert 'optimize_for_inference: fp32, as asked' in log
    assert 'compiled with freezing' in log
    assert len(eager) == len(images) == len(fast)
    for image in images:
        assert fast[image][0] == eager[image][0]
        assert abs(fast[image][1] - eager[image][1]) < 1e-3
