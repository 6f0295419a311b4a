# Copyright (c) mmconformer contributors. All rights reserved.
"""What a benchmark measures: the variants (implementation and setting), the
spec of a run, and the pair of models with the same weights."""
import copy
import inspect
from dataclasses import dataclass, field
from typing import Collection, Dict, List, NamedTuple, Optional, Sequence

import torch
import torch.nn as nn

from ...models import ConformerBackbone
from ...utils import (has_native_bf16, isa_cap, onnxruntime_available,
                      openvino_available, torchao_available)
from ...utils.quiet import current_logger_level

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
        runtime (str): ``'eager'`` (the only one that trains),
            ``'compiled'`` (Inductor with freezing: mmpretrain's best),
            ``'fast'`` (:func:`~mmconformer.apis.optimize_for_inference`),
            ``'onnxruntime'`` or ``'openvino'`` (our export). Defaults to
            ``'eager'``.
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


def select_variants(sweep: bool = False, fast: bool = False,
                    compare: bool = False, dtype: str = 'fp32',
                    channels_last: bool = False,
                    ours_channels_last: bool = True,
                    device: str = 'cpu') -> List[Variant]:
    """The variants one benchmark run times, in the report's order.

    Args:
        sweep (bool): Every peer, whatever the other arguments but
            ``device``: ours and mmpretrain's eager (the latter with and
            without channels_last) in fp32 and bf16, mmpretrain compiled,
            our fast path in fp32, bf16 and int8, onnxruntime (fp32, int8)
            and OpenVINO (fp32, bf16, int8) on our export; int8 and the
            runtimes on a CPU where installed, no onnxruntime under an
            instruction-set cap (no variable caps its kernels), no bf16
            without native bf16. Defaults to False.
        fast (bool): Our fast path in ``dtype``; with ``compare``,
            mmpretrain compiled alike (bf16 for int8). Defaults to False.
        compare (bool): Add mmpretrain's model. Defaults to False.
        dtype (str): ``'fp32'`` or ``'bf16'``; with ``fast`` also
            ``'fp16'`` and ``'int8'``. Defaults to ``'fp32'``.
        channels_last (bool): mmpretrain's eager model in channels_last.
            Defaults to False.
        ours_channels_last (bool): Our config's. Defaults to True.
        device (str): ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'cpu'``.
    """
    if sweep:
        cpu = device == 'cpu'
        half = ('fp32', ) if cpu and isa_cap() and not has_native_bf16() \
            else ('fp32', 'bf16')
        return [
            *(Variant('mmconformer', d, ours_channels_last) for d in half),
            *(Variant('mmpretrain', d, cl) for d in half
              for cl in (False, True)),
            Variant('mmpretrain', half[-1], True, 'compiled'),
            *(Variant('mmconformer', d, True, 'fast') for d in
              half + ('int8', ) * (cpu and torchao_available())),
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


@dataclass
class BenchmarkSpec:
    """What to measure; plain data, so that a spawned process can receive it.

    Args:
        model_cfg (dict): Our classifier config.
        variants (list[Variant]): What to time. Defaults to [].
        batch_size (int): Images per step. Defaults to 8.
        input_size (tuple): ``(H, W)``. Defaults to ``(224, 224)``.
        device (str): ``'cpu'`` or ``'cuda[:N]'``. Defaults to ``'cpu'``.
        modes (tuple): ``'infer'`` and/or ``'train'``.
            Defaults to ``('infer', 'train')``.
        compile (bool): ``torch.compile`` every eager model.
            Defaults to False.
        warmup (int): Untimed rounds. Defaults to 2.
        repeats (int): Timed rounds. Defaults to 5.
        baseline (str, optional): The row the others are divided by,
            ``'<impl> <setting>'``. Defaults to None (mmpretrain fp32).
        measure_memory (bool): Each eager throughput row's peak memory.
            Defaults to True.
    """
    model_cfg: dict
    variants: List[Variant] = field(default_factory=list)
    batch_size: int = 8
    input_size: tuple = (224, 224)
    device: str = 'cpu'
    modes: tuple = ('infer', 'train')
    compile: bool = False
    warmup: int = 2
    repeats: int = 5
    baseline: Optional[str] = None
    measure_memory: bool = True


def build_spec(config: Optional[str] = None, arch: Optional[str] = None,
               patch_size: int = 16, with_cp: bool = False,
               latency: bool = False, mode: str = 'both',
               batch_size: int = 8, input_size: Sequence[int] = (224, ),
               device: str = 'cpu', **options) -> BenchmarkSpec:
    """The :class:`BenchmarkSpec` of the command line's options.

    Args:
        config (str, optional): Our classifier config file, or give ``arch``
            (a 1000-class classifier, with ``patch_size``, default 16).
        with_cp (bool): Activation checkpointing in our backbone.
        latency (bool): Batch 1, inference only.
        mode (str): ``'infer'``, ``'train'`` or ``'both'``.
        input_size (Sequence[int]): ``(S, )`` or ``(H, W)``.
        **options: Of :func:`select_variants` and of the spec.
    """
    if config is not None:
        from mmengine.config import Config
        model_cfg = Config.fromfile(config).model.to_dict()
    else:
        model_cfg = classifier_cfg_from_arch(arch, patch_size)
    if with_cp:
        model_cfg['backbone']['with_cp'] = True
    timing = {key: options.pop(key) for key in ('compile', 'warmup', 'repeats',
                                                'baseline', 'measure_memory')
              if key in options}
    variants = select_variants(
        **options, device=device,
        ours_channels_last=model_cfg['backbone'].get('channels_last', True))
    modes = ('infer', ) if options.get('fast') or latency else \
        ('infer', 'train') if mode == 'both' else (mode, )
    return BenchmarkSpec(
        model_cfg, variants, 1 if latency else batch_size,
        tuple(input_size) * (3 - len(input_size)), device, modes, **timing)


def classifier_cfg_from_arch(arch: str, patch_size: int = 16,
                             num_classes: int = 1000) -> dict:
    """Our classifier config for a published arch name."""
    with torch.device('meta'):  # the widths, without allocating weights
        backbone = ConformerBackbone(arch=arch, patch_size=patch_size)
    return dict(
        type='ImageClassifier',
        backbone=dict(type='ConformerBackbone', arch=arch,
                      patch_size=patch_size),
        head=dict(type='DualBranchClsHead', num_classes=num_classes,
                  in_channels=[backbone.stage_channels[-1],
                               backbone.embed_dims]))


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
        for name, p in inspect.signature(ConformerBackbone).parameters.items()
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
