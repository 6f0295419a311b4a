"""mmpretrain's own analysis tools, run through ``mim run mmpretrain``, on
our configs and a checkpoint of ours."""
import glob
import json
import os.path as osp
import pickle
import re
import shutil
import sys

import numpy as np
import pytest
from _training import DEMO, TOOLS, data_options, make_shapes, run

MIM = shutil.which('mim') or osp.join(osp.dirname(sys.executable), 'mim')
VAL_IMAGES = 6 * 2  # 6 classes, val=2 per class


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """One epoch of the demo config on a tiny shapes set, then ``mim test
    --out`` of its checkpoint (what ``analyze_results`` reads)."""
    tmp = tmp_path_factory.mktemp('analysis')
    data = make_shapes(tmp / 'shapes', train=6, val=2)
    work = tmp / 'work'
    options = data_options(data)
    run([MIM, 'train', 'mmpretrain', DEMO, '--gpus', '0', '--work-dir',
         str(work), '--cfg-options', *options, 'train_cfg.max_epochs=2',
         'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=2'])
    checkpoint = str(work / 'epoch_2.pth')
    results = str(tmp / 'results.pkl')
    run([MIM, 'test', 'mmpretrain', DEMO, '--checkpoint', checkpoint,
         '--gpus', '0', '--work-dir', str(tmp / 'test'), '--out', results,
         '--cfg-options', *options])
    return dict(tmp=tmp, work=work, checkpoint=checkpoint, results=results,
                options=options)


@pytest.mark.slow
def test_analyze_results_sorts_every_val_image(demo_run):
    out = demo_run['tmp'] / 'analyze'
    run([MIM, 'run', 'mmpretrain', 'analyze_results', DEMO,
         demo_run['results'], '--out-dir', str(out), '--topk', '3',
         '--cfg-options', *demo_run['options']])
    with open(demo_run['results'], 'rb') as f:
        samples = pickle.load(f)
    assert len(samples) == VAL_IMAGES
    wrong = sum(int(s['pred_label'][0] != s['gt_label'][0]) for s in samples)
    for kind, count in (('success', VAL_IMAGES - wrong), ('fail', wrong)):
        if count == 0:
            continue
        # the top-k least confident of each kind; the PNGs are named after
        # the image file, which repeats across class folders, so may be fewer
        assert 1 <= len(glob.glob(str(out / kind / '*.png'))) <= 3
        with open(out / kind / f'{kind}.json') as f:
            infos = json.load(f)
        assert infos
        for info in infos:
            assert (info['pred_label'] == info['gt_label']) == (
                kind == 'success')


@pytest.mark.slow
def test_confusion_matrix_counts_the_val_set(demo_run):
    out = demo_run['tmp'] / 'cm.pkl'
    figure = demo_run['tmp'] / 'cm.png'
    run([MIM, 'run', 'mmpretrain', 'confusion_matrix', DEMO,
         demo_run['checkpoint'], '--out', str(out), '--show-path',
         str(figure), '--include-values', '--cfg-options',
         *demo_run['options']])
    with open(out, 'rb') as f:
        matrix = pickle.load(f)
    assert tuple(matrix.shape) == (6, 6)
    assert int(matrix.sum()) == VAL_IMAGES
    assert osp.getsize(figure) > 0


@pytest.mark.slow
def test_plot_curve_reads_our_training_log(demo_run):
    scalars, = glob.glob(str(demo_run['work'] / '*' / 'vis_data' /
                             'scalars.json'))
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    # each branch's loss and accuracy beside their sum, for the curves
    for key in ('loss_conv', 'loss_trans', 'accuracy/conv_top1',
                'accuracy/trans_top1', 'accuracy/top1'):
        assert any(key in r for r in records), key
    for key in ('loss', 'accuracy/top1'):
        figure = demo_run['tmp'] / f"{key.replace('/', '_')}.png"
        run([MIM, 'run', 'mmpretrain', 'analyze_logs', 'plot_curve',
             scalars, '--keys', key, '--out', str(figure)])
        assert osp.getsize(figure) > 0


@pytest.mark.slow
@pytest.mark.parametrize('branch,width', [('conv', 256), ('trans', 384)])
def test_vis_tsne_on_each_branch(demo_run, branch, width):
    """The backbone's dense output, one branch at a time, is what
    vis_tsne's ``--vis-stage backbone`` can name (``feat_<block>``)."""
    out = demo_run['tmp'] / f'tsne_{branch}'
    run([MIM, 'run', 'mmpretrain', 'vis_tsne', DEMO, '--checkpoint',
         demo_run['checkpoint'], '--work-dir', str(out), '--vis-stage',
         'backbone', '--perplexity', '5', '--n-iter', '250',
         '--cfg-options', *demo_run['options'],
         'model.backbone.out_type=featmap',
         f'model.backbone.featmap_branches={branch}',
         'model.backbone.out_indices=[4,12]'])
    for block in (4, 12):
        features, = glob.glob(str(out / '*' / f'feat_{block}.npy'))
        feats = np.load(features)
        assert feats.shape[0] == VAL_IMAGES
        if block == 12:
            assert feats.shape[1] == width
        assert glob.glob(str(out / '*' / f'feat_{block}.png'))


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['mim', 'ours'])
def test_tta_scores_each_branch_on_both_views(demo_run, tool):
    """--tta, with mmpretrain's tools/test.py (through mim) and ours: the
    runtime's BranchAverageClsScoreTTA over the image and its flip, each
    branch's accuracy included."""
    common = ['--work-dir', str(demo_run['tmp'] / f'tta_{tool}'), '--tta',
              '--cfg-options', *demo_run['options']]
    if tool == 'mim':
        out = run([MIM, 'test', 'mmpretrain', DEMO, '--checkpoint',
                   demo_run['checkpoint'], '--gpus', '0', *common])
    else:
        out = run([sys.executable, osp.join(TOOLS, 'test.py'), DEMO,
                   demo_run['checkpoint'], *common])
    assert 'BranchAverageClsScoreTTA' in out
    metrics = re.search(r'Epoch\(test\).*accuracy/top1: ([0-9.]+)\s+'
                        r'accuracy/conv_top1: ([0-9.]+)\s+'
                        r'accuracy/trans_top1: ([0-9.]+)', out)
    assert metrics, out[-2000:]


@pytest.mark.slow
def test_feature_extractor_returns_each_branch(demo_run):
    """mmpretrain's FeatureExtractor on our classifier: per image, the
    backbone's (conv, trans) pair of each output, and pre_logits as the
    pair the heads read (widths 256 and 384 for the tiny arch)."""
    from mmpretrain.apis import FeatureExtractor
    data = demo_run['tmp'] / 'shapes' / 'val'
    images = sorted(str(p) for p in data.glob('*/*.png'))[:3]
    extractor = FeatureExtractor(DEMO, pretrained=demo_run['checkpoint'])
    for stage in ('backbone', 'neck'):
        per_image = extractor(images, stage=stage)
        assert len(per_image) == 3
        for features in per_image:
            (conv, trans), = features
            assert (conv.shape, trans.shape) == ((256, ), (384, ))
    conv, trans = extractor(images[:1], stage='pre_logits')[0]
    assert (conv.shape, trans.shape) == ((256, ), (384, ))
