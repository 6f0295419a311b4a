"""mmpretrain's own analysis tools, run through ``mim run mmpretrain``, on
our configs and a checkpoint of ours (issue 11, section 5)."""
import glob
import json
import os.path as osp
import pickle
import shutil
import sys

import numpy as np
import pytest
from _training import DEMO, data_options, make_shapes, run

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
    assert any('accuracy/top1' in r for r in records)
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
