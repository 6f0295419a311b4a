# Copyright (c) mmconformer contributors. All rights reserved.
"""What a benchmark compares: the implementations and their settings, and
the pair of models with the same weights."""
import copy
import inspect
from typing import Collection, Dict, List, NamedTuple

import torch.nn as nn

from ...models import ConformerBackbone
from ...utils import (has_native_bf16, isa_cap, onnxruntime_available,
                      openvino_available, torchao_available)
from ...utils.quiet import current_logger_level

__all__ = ['Variant', 'build_models', 'classifier_cfg_from_arch',
           'reference_cfg', 'select_variants']

#: Backbone arguments that mmpretrain's ``Conformer`` shares with ours.
SHARED_BACKBONE_ARGS = ('arch', 'patch_size', 'base_channels', 'mlp_ratio',
                        'qkv_bias', 'with_cls_token', 'drop_path_rate')


class Variant(NamedTuple):
    """One implementation in one setting.

    Args:
        impl (str): ``'mmconformer'`` or ``'mmpretrain'``.
        dtype (str): ``'fp32'``, ``'bf16'`` (autocast), or for our fast
            path and exported runtimes also ``'fp16'`` / ``'int8'``.
        channels_last (bool): The model and its input in channels_last.
        runtime (str): ``'eager'`` (the module as built; the only one that
            trains), ``'compiled'`` (``torch.compile`` with Inductor
            freezing, the best mmpretrain's model gets by switches),
            ``'fast'`` (:func:`~mmconformer.apis.optimize_for_inference`),
            ``'onnxruntime'`` (our ONNX export) or ``'openvino'`` (its IR:
            fp32 precision, bf16, OpenVINO's default where the CPU computes
            it, or NNCF int8). Defaults to ``'eager'``.
    """
    impl: str
    dtype: str
    channels_last: bool
    runtime: str = 'eager'

    @property
    def setting(self) -> str:
        """A short name, e.g. ``'cl+bf16+compile'``, ``'fast-int8'``."""
        name = dict(fast='fast', onnxruntime='onnxrt',
                    openvino='openvino').get(self.runtime)
        if name:
            return name + ('' if self.dtype == 'fp32' and name != 'fast'
                           else f'-{self.dtype}')
        return '+'.join(['cl'] * self.channels_last +
                        [self.dtype] * (self.dtype != 'fp32') +
                        ['compile'] * (self.runtime == 'compiled')) or 'fp32'

    @property
    def label(self) -> str:
        """``'<impl> <setting>'``, as the report names a row."""
        return f'{self.impl} {self.setting}'

    @property
    def trains(self) -> bool:
        return self.runtime == 'eager'


def select_variants(sweep: bool = False, fast: bool = False,
                    compare: bool = False, dtype: str = 'fp32',
                    channels_last: bool = False,
                    ours_channels_last: bool = True,
                    device: str = 'cpu') -> List[Variant]:
    """The variants one benchmark run times, in the report's order.

    Args:
        sweep (bool): Every peer with the same weights, whatever the other
            arguments but ``device``: ours and mmpretrain's eager in fp32
            and bf16 (mmpretrain with and without channels_last),
            mmpretrain compiled in its best setting (channels_last + bf16),
            our fast path in fp32, bf16 and int8, onnxruntime on our export
            in fp32 and int8, and OpenVINO on its IR in fp32, bf16 (where
            the CPU computes it) and int8; int8 and the runtimes on a CPU
            where installed. Under an instruction-set cap, no onnxruntime
            (no variable caps its kernels), and without bf16 no bf16 rows
            (mmpretrain compiled in fp32). Defaults to False.
        fast (bool): Our fast path in ``dtype``; with ``compare``,
            mmpretrain compiled alike (bf16 for int8, which it has no
            switch for). Defaults to False.
        compare (bool): Add mmpretrain's model. Defaults to False.
        dtype (str): ``'fp32'`` or ``'bf16'``; with ``fast`` also
            ``'fp16'`` and ``'int8'``. Defaults to ``'fp32'``.
        channels_last (bool): mmpretrain's eager model in channels_last.
            Defaults to False.
        ours_channels_last (bool): Our config's ``channels_last``.
            Defaults to True.
        device (str): ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'cpu'``.
    """
    if sweep:
        cpu = device == 'cpu'
        # under an instruction-set cap without bf16 (AVX2, AVX-512 without
        # BF16), oneDNN has no bf16 kernels: the bf16 rows are left out
        half = ('fp32', ) if cpu and isa_cap() and not has_native_bf16() \
            else ('fp32', 'bf16')
        return [
            *(Variant('mmconformer', d, ours_channels_last) for d in half),
            *(Variant('mmpretrain', d, cl) for d in half
              for cl in (False, True)),
            Variant('mmpretrain', half[-1], True, 'compiled'),
            *(Variant('mmconformer', d, True, 'fast') for d in
              half + ('int8', ) * (cpu and torchao_available())),
            # onnxruntime's kernels pick their instructions from CPUID, and
            # no variable caps them: its rows would not be the capped class
            *(Variant('mmconformer', d, True, 'onnxruntime')
              for d in ('fp32', 'int8')
              if cpu and onnxruntime_available() and not isa_cap()),
            *(Variant('mmconformer', d, True, 'openvino')
              for d in ('fp32', ) + ('bf16', ) * has_native_bf16() + ('int8', )
              if cpu and openvino_available() and onnxruntime_available())
        ]
    if fast:
        peer = Variant('mmpretrain', 'bf16' if dtype == 'int8' else dtype,
                       True, 'compiled')
        return [Variant('mmconformer', dtype, True, 'fast')] + \
            [peer] * compare
    return [Variant('mmconformer', dtype, ours_channels_last)] + \
        [Variant('mmpretrain', dtype, channels_last)] * compare


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
    our ``model_cfg`` (arch, patch size, widths, classes). Arguments it does
    not have (layout, dense outputs, checkpointing) are left out; defaults
    are ours, since mmpretrain's differ (its ``norm_eval`` is True).

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
    resolved = {
        name: p.default
        for name, p in inspect.signature(
            ConformerBackbone.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    resolved.update(backbone)
    return dict(
        type='ImageClassifier',
        backbone=dict(type='Conformer', norm_eval=False, frozen_stages=-1,
                      **{k: resolved[k] for k in SHARED_BACKBONE_ARGS}),
        head=dict(type='ConformerHead',
                  num_classes=model_cfg['head']['num_classes'],
                  in_channels=list(model_cfg['head']['in_channels'])))


def build_models(model_cfg: dict,
                 impls: Collection[str] = ('mmconformer', 'mmpretrain')
                 ) -> Dict[str, nn.Module]:
    """Our classifier (always) and, when ``impls`` names it, mmpretrain's
    (:func:`reference_cfg`) with the same weights, keyed by ``impl``."""
    from mmpretrain.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    cfg.get('backbone', {}).pop('init_cfg', None)
    cfg.pop('init_cfg', None)
    cfg.pop('train_cfg', None)  # Mixup/CutMix would only slow training
    ours = MODELS.build(cfg)
    with current_logger_level():  # init reports of a model built to be timed
        ours.init_weights()
    models = {'mmconformer': ours}
    if 'mmpretrain' in impls:
        models['mmpretrain'] = MODELS.build(reference_cfg(model_cfg))
        models['mmpretrain'].load_state_dict(ours.state_dict(), strict=True)
    return models
