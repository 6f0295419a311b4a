# Copyright (c) mmconformer contributors. All rights reserved.
"""What a benchmark compares: the implementations and their settings, and
the pair of models with the same weights."""
import copy
import inspect
from typing import Collection, Dict, List, NamedTuple

import torch.nn as nn

from ...models import ConformerBackbone
from ...utils import onnxruntime_available, torchao_available
from ...utils.quiet import current_logger_level

__all__ = [
    'SHARED_BACKBONE_ARGS', 'Variant', 'build_models',
    'classifier_cfg_from_arch', 'reference_cfg', 'select_variants'
]

#: Backbone arguments that mmpretrain's ``Conformer`` shares with ours.
SHARED_BACKBONE_ARGS = ('arch', 'patch_size', 'base_channels', 'mlp_ratio',
                        'qkv_bias', 'with_cls_token', 'drop_path_rate')


class Variant(NamedTuple):
    """One implementation in one setting.

    Args:
        impl (str): ``'mmconformer'`` or ``'mmpretrain'``.
        dtype (str): ``'fp32'``, ``'bf16'`` (autocast), or for our fast
            path ``'fp16'`` and ``'int8'``, for onnxruntime ``'int8'``.
        channels_last (bool): The model and its input in channels_last.
        runtime (str): How it runs: ``'eager'`` (the module as built),
            ``'compiled'`` (``torch.compile`` with Inductor freezing, the
            best a user gets from mmpretrain's model by switches), ``'fast'``
            (our :func:`~mmconformer.apis.optimize_for_inference`) or
            ``'onnxruntime'`` (our ONNX export, fp32 or int8 QDQ). Only
            eager variants train. Defaults to ``'eager'``.
    """
    impl: str
    dtype: str
    channels_last: bool
    runtime: str = 'eager'

    @property
    def setting(self) -> str:
        """A short name of the setting, e.g. ``'cl+bf16+compile'``."""
        if self.runtime == 'fast':
            return f'fast-{self.dtype}'
        if self.runtime == 'onnxruntime':
            return 'onnxrt' if self.dtype == 'fp32' else \
                f'onnxrt-{self.dtype}'
        parts = (['cl'] if self.channels_last else []) + \
            ([self.dtype] if self.dtype != 'fp32' else []) + \
            (['compile'] if self.runtime == 'compiled' else [])
        return '+'.join(parts) or 'fp32'

    @property
    def label(self) -> str:
        """``'<impl> <setting>'``, as the report names a row."""
        return f'{self.impl} {self.setting}'

    @property
    def trains(self) -> bool:
        """Whether the variant has a training step (eager ones only)."""
        return self.runtime == 'eager'


def select_variants(sweep: bool = False, fast: bool = False,
                    compare: bool = False, dtype: str = 'fp32',
                    channels_last: bool = False,
                    ours_channels_last: bool = True,
                    device: str = 'cpu') -> List[Variant]:
    """The implementations and settings one benchmark run times.

    Args:
        sweep (bool): Every peer with the same weights: ours and
            mmpretrain's eager in fp32 and bf16 (mmpretrain with and without
            channels_last), mmpretrain compiled with freezing in its best
            setting (channels_last + bf16), our fast path in fp32 and bf16
            (and int8 on a CPU with torchao installed), and onnxruntime on
            our export in fp32 and int8 (CPU, when installed). ``dtype``,
            ``channels_last`` and ``compare`` are ignored. Defaults to False.
        fast (bool): Our :func:`optimize_for_inference` path in ``dtype``;
            with ``compare``, mmpretrain compiled alike (channels_last,
            ``dtype`` autocast, freezing; for int8, which mmpretrain's model
            has no switch for, its best by switches: bf16). Defaults to
            False.
        compare (bool): Add mmpretrain's model beside ours.
            Defaults to False.
        dtype (str): ``'fp32'`` or ``'bf16'``; with ``fast`` also
            ``'fp16'`` and ``'int8'``. Defaults to ``'fp32'``.
        channels_last (bool): mmpretrain's model in channels_last, in the
            eager comparison. Defaults to False.
        ours_channels_last (bool): Our model's own ``channels_last``
            setting (its config's). Defaults to True.
        device (str): The device; onnxruntime is timed on CPU only.
            Defaults to ``'cpu'``.

    Returns:
        list[Variant]: In the order the report lists them.
    """
    if sweep:
        variants = [Variant('mmconformer', d, ours_channels_last)
                    for d in ('fp32', 'bf16')]
        variants += [Variant('mmpretrain', d, cl) for d in ('fp32', 'bf16')
                     for cl in (False, True)]
        variants += [Variant('mmpretrain', 'bf16', True, 'compiled')]
        variants += [Variant('mmconformer', d, True, 'fast')
                     for d in ('fp32', 'bf16')]
        if device == 'cpu' and torchao_available():
            variants.append(Variant('mmconformer', 'int8', True, 'fast'))
        if device == 'cpu' and onnxruntime_available():
            variants += [Variant('mmconformer', d, True, 'onnxruntime')
                         for d in ('fp32', 'int8')]
        return variants
    if fast:
        variants = [Variant('mmconformer', dtype, True, 'fast')]
        if compare:
            variants.append(Variant('mmpretrain',
                                    'bf16' if dtype == 'int8' else dtype,
                                    True, 'compiled'))
        return variants
    variants = [Variant('mmconformer', dtype, ours_channels_last)]
    if compare:
        variants.append(Variant('mmpretrain', dtype, channels_last))
    return variants


def classifier_cfg_from_arch(arch: str, patch_size: int = 16,
                             num_classes: int = 1000) -> dict:
    """Our classifier config for a published arch name."""
    settings = ConformerBackbone.arch_zoo[arch]
    base_channels = inspect.signature(
        ConformerBackbone).parameters['base_channels'].default
    # the last stage's width, as the backbone computes its stage_channels
    conv_channels = int(base_channels * settings['channel_ratio'] *
                        2**(ConformerBackbone.num_stages - 1))
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ConformerBackbone', arch=arch,
                      patch_size=patch_size),
        head=dict(type='DualBranchClsHead', num_classes=num_classes,
                  in_channels=[conv_channels, settings['embed_dims']]))


def reference_cfg(model_cfg: dict) -> dict:
    """mmpretrain's ``Conformer`` + ``ConformerHead`` for the same model as
    our ``model_cfg``: the same arch (name or dict), patch size, widths and
    classes. Arguments mmpretrain's ``Conformer`` does not have (layout,
    dense outputs, checkpointing) are left out; defaults are ours, since
    mmpretrain's differ (its ``norm_eval`` defaults to True).

    Raises:
        ValueError: ``model_cfg`` is not a classifier with a
            ``ConformerBackbone`` in ``out_type='cls_token'`` mode.
    """
    backbone = dict(model_cfg.get('backbone') or {})
    if backbone.get('type', '').split('.')[-1] != 'ConformerBackbone' or \
            backbone.get('out_type', 'cls_token') != 'cls_token':
        raise ValueError(
            'the benchmark compares classifiers: the config needs '
            "model.backbone.type='ConformerBackbone' with "
            f"out_type='cls_token', got {backbone!r}")
    defaults = {
        name: p.default
        for name, p in inspect.signature(
            ConformerBackbone.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    resolved = {**defaults, **backbone}
    head = dict(model_cfg['head'])
    return dict(
        type='ImageClassifier',
        backbone=dict(type='Conformer', norm_eval=False, frozen_stages=-1,
                      **{k: resolved[k] for k in SHARED_BACKBONE_ARGS}),
        head=dict(type='ConformerHead', num_classes=head['num_classes'],
                  in_channels=list(head['in_channels'])))


def build_models(model_cfg: dict,
                 impls: Collection[str] = ('mmconformer', 'mmpretrain')
                 ) -> Dict[str, nn.Module]:
    """Our classifier (from ``model_cfg``, always) and, when ``impls``
    names it, mmpretrain's built-in one (from :func:`reference_cfg`) with
    the same weights, keyed by :attr:`Variant.impl`."""
    from mmpretrain.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    cfg.get('backbone', {}).pop('init_cfg', None)
    cfg.pop('init_cfg', None)
    # Batch augments (Mixup/CutMix) would only slow the training step.
    cfg.pop('train_cfg', None)
    ours = MODELS.build(cfg)
    with current_logger_level():  # init reports of a model built to be timed
        ours.init_weights()
    models = {'mmconformer': ours}
    if 'mmpretrain' in impls:
        models['mmpretrain'] = MODELS.build(reference_cfg(model_cfg))
        models['mmpretrain'].load_state_dict(ours.state_dict(), strict=True)
    return models
