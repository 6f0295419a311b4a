"""Segmentors built by the real mmsegmentation 1.x from our config files."""
import os.path as osp

import pytest
import torch
from _helpers import CONFIG_DIR
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

from mmconformer.utils import dense_task_unavailable

# Without the compiled mmcv (mmcv-lite) every test here skips, with the
# one-line reason; the module imports mmseg only inside its tests.
# plain_clone: CI's plain clone (mmcv-lite) shows that every test here skips
# with its reason
pytestmark = [
    pytest.mark.skipif(dense_task_unavailable('mmseg') is not None,
                       reason=str(dense_task_unavailable('mmseg'))),
    pytest.mark.plain_clone,
]

SEG_CONFIGS = {
    'conv': osp.join(CONFIG_DIR, 'mmseg', 'upernet_conformer-small-p32_'
                     '8xb2-160k_ade20k-512x512.py'),
    'both': osp.join(CONFIG_DIR, 'mmseg', 'upernet_conformer-small-p32-both_'
                     '8xb2-160k_ade20k-512x512.py'),
    # the CPU demo's config, which inherits 'conv' (no checkpoint)
    'demo': osp.join(CONFIG_DIR, 'demo', 'upernet_conformer-tiny-p16_'
                     '1xb16-1k_shapes-64x64.py'),
}


def build_segmentor(name, checkpoint=None, crop_size=None,
                    **backbone_options):
    """The segmentor of ``SEG_CONFIGS[name]``; ``crop_size`` replaces the
    size its data preprocessor pads training batches to (512 x 512 in the
    ADE20K recipe, which makes a CPU training step take a minute)."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    # Register mmseg's modules without making mmseg the process-wide default
    # scope, which would leak into the other tests.
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(SEG_CONFIGS[name])
    backbone = cfg.model.backbone
    if checkpoint is not None:
        assert backbone.init_cfg.checkpoint.startswith(
            'https://download.openmmlab.com/mmclassification/v0/conformer/'
            'conformer-small-p32')
        backbone.init_cfg.checkpoint = str(checkpoint)
    backbone.update(backbone_options)
    if crop_size is not None:
        cfg.model.data_preprocessor.size = crop_size
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    # The heads use SyncBN (8-GPU recipe); on one CPU process mmseg's own
    # inference API reverts it the same way.
    return cfg, revert_sync_batchnorm(model)


def seg_batch(model, shapes, num_classes=150, seed=0):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for h, w in shapes:
        inputs.append(torch.randint(0, 256, (3, h, w), generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes, (1, h, w), generator=gen))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_recipe_of_the_configs():
    conv, both = (Config.fromfile(SEG_CONFIGS[n]) for n in ('conv', 'both'))
    assert conv.custom_imports.imports == ['mmconformer']
    assert conv.model.type == 'EncoderDecoder'
    assert conv.model.pretrained is None
    backbone = conv.model.backbone
    assert backbone.type == 'mmpretrain.ConformerBackbone'
    assert (backbone.arch, backbone.patch_size) == ('small', 32)
    assert backbone.out_type == 'featmap'
    assert backbone.out_indices == [4, 8, 11, 12]
    assert backbone.init_cfg.prefix == 'backbone.'
    assert conv.model.decode_head.type == 'UPerHead'
    assert conv.model.auxiliary_head.type == 'FCNHead'
    assert conv.model.decode_head.num_classes == 150
    # mmseg's Swin/ConvNeXt UPerNet recipe: AdamW, warm-up then poly decay
    # over 160k iterations, 8 GPUs x 2 images, 512x512 crops
    assert conv.optim_wrapper.optimizer == dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01)
    assert conv.optim_wrapper.paramwise_cfg == dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0,
        custom_keys={'.cls_token': dict(decay_mult=0.0)})
    assert [s.type for s in conv.param_scheduler] == ['LinearLR', 'PolyLR']
    assert conv.param_scheduler[0].end == conv.param_scheduler[1].begin \
        == 1500
    assert backbone.drop_path_rate == 0.1
    assert conv.model.test_cfg.mode == 'whole'
    assert conv.param_scheduler[-1].end == conv.train_cfg.max_iters == 160000
    assert conv.train_dataloader.batch_size == 2
    assert conv.crop_size == (512, 512)
    assert conv.model.data_preprocessor.size == (512, 512)
    assert conv.train_dataloader.dataset.type == 'ADE20KDataset'
    # the variant differs only in feeding both branches through the neck
    assert both.model.backbone.featmap_branches == 'both'
    assert backbone.featmap_branches == 'conv'
    assert both.model.neck.type == 'mmpretrain.DualBranchConcatNeck'
    assert both.optim_wrapper == conv.optim_wrapper


@pytest.mark.slow
@pytest.mark.parametrize('name', ['conv', 'both'])
def test_segmentor_from_config(name, small_p32_classifier_checkpoint):
    path, source = small_p32_classifier_checkpoint
    cfg, model = build_segmentor(name, path, crop_size=(96, 128))
    assert type(model.backbone).__name__ == 'ConformerBackbone'

    # Every backbone key comes from the classifier checkpoint.
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, source[f'backbone.{key}']), key

    # The heads take what the backbone (and neck) give.
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.zeros(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == cfg.model.decode_head.in_channels
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 2]

    # One training step: every trainable parameter gets a gradient; the
    # stem is frozen and every backbone BatchNorm stays in eval mode.
    model.train()
    assert model.backbone.norm_eval and model.backbone.frozen_stages == 0
    assert all(not m.training for m in model.backbone.modules()
               if isinstance(m, _BatchNorm))
    assert model.decode_head.training
    data = model.data_preprocessor(
        seg_batch(model, [(96, 128), (96, 128)]), True)
    assert data['inputs'].shape == (2, 3, 96, 128)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(losses)
    loss.backward()
    frozen = {f'backbone.{n}' for n, _ in
              model.backbone.conv1.named_parameters(prefix='conv1')} | \
        {f'backbone.{n}' for n, _ in
         model.backbone.bn1.named_parameters(prefix='bn1')}
    for pname, param in model.named_parameters():
        if pname in frozen:
            assert not param.requires_grad, pname
        else:
            assert param.requires_grad and param.grad is not None, pname
            assert param.grad.abs().sum() > 0, pname

    # Prediction at an odd size gives a label map of that size.
    model.eval()
    batch = seg_batch(model, [(97, 131)])
    with torch.no_grad():
        results = model.test_step(batch)
    assert results[0].pred_sem_seg.data.shape == (1, 97, 131)
    assert results[0].seg_logits.data.shape == (150, 97, 131)


def test_frozen_stages_and_norm_eval_as_in_detection():
    """frozen_stages=1 without norm_eval: the stem and stage 1 stop learning
    (no grad, BatchNorm statistics kept); stages 2-3 train their BatchNorms.
    norm_eval then keeps every BatchNorm's statistics. On the demo's
    Conformer-tiny segmentor, which is quick to build."""
    cfg, model = build_segmentor('demo', frozen_stages=1, norm_eval=False)
    assert cfg.model.backbone.arch == 'tiny'
    backbone = model.backbone
    model.train()
    frozen = backbone.stage_modules(0) + backbone.stage_modules(1)
    frozen_bns = [m for f in frozen for m in f.modules()
                  if isinstance(m, _BatchNorm)]
    live_bns = [m for s in (2, 3) for f in backbone.stage_modules(s)
                for m in f.modules() if isinstance(m, _BatchNorm)]
    assert frozen_bns and live_bns
    assert all(not m.training for m in frozen_bns)
    assert all(m.training for m in live_bns)
    assert all(not p.requires_grad for f in frozen for p in f.parameters())
    assert not backbone.cls_token.requires_grad
    assert all(p.requires_grad for s in (2, 3)
               for f in backbone.stage_modules(s) for p in f.parameters())

    def running_means(bns):
        return [m.running_mean.clone() for m in bns]

    before_frozen, before_live = running_means(frozen_bns), \
        running_means(live_bns)
    data = model.data_preprocessor(
        seg_batch(model, [(64, 64)] * 2, num_classes=7), True)
    model(**data, mode='loss')
    assert all(torch.equal(a, b) for a, b in
               zip(before_frozen, running_means(frozen_bns)))
    assert any(not torch.equal(a, b) for a, b in
               zip(before_live, running_means(live_bns)))

    # norm_eval: train() puts every backbone BatchNorm back in eval mode
    backbone.norm_eval = True
    model.train()
    assert all(not m.training for m in frozen_bns + live_bns)
    before = running_means(live_bns)
    model(**data, mode='loss')
    assert all(torch.equal(a, b)
               for a, b in zip(before, running_means(live_bns)))


def test_demo_config_reads_the_shapes_label_maps(tmp_path):
    """The demo's dataset settings: every image with its label map, label 0
    kept as the background class (ADE20K's base drops it), 7 classes."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules

    from _training import make_shapes
    make_shapes(tmp_path / 'seg', 2, 1, 32, seg_maps=True)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(SEG_CONFIGS['demo'])
    assert cfg.model.decode_head.num_classes == 7
    assert cfg.model.decode_head.norm_cfg.type == 'BN'
    assert cfg.train_cfg.max_iters == 1000
    labels = {}
    for split in ('train_dataloader', 'val_dataloader'):
        dataset_cfg = cfg[split].dataset
        dataset_cfg.data_root = str(tmp_path / 'seg')
        with DefaultScope.overwrite_default_scope('mmseg'):
            dataset = DATASETS.build(dataset_cfg)
        assert dataset.metainfo['classes'][0] == 'background'
        labels[split] = [
            set(dataset[i]['data_samples'].gt_sem_seg.data.unique().tolist())
            for i in range(len(dataset))]
    assert len(labels['train_dataloader']) == 12
    assert len(labels['val_dataloader']) == 6
    # one shape per image: background and that shape's class, no 255
    assert sorted(tuple(sorted(v)) for v in labels['val_dataloader']) == [
        (0, k) for k in range(1, 7)]
