# Copyright (c) mmconformer contributors. All rights reserved.
"""Conformer backbone (Peng et al., ICCV 2021, arXiv:2105.03889)."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from ...arch_zoo import ARCH_ZOO
from ...checkpoint import load_pretrained
from ..layers import ConvBottleneck, ConvTransBlock, TransformerLayer
from ..layers.utils import tokens_to_map

ArchSettings = Dict[str, Union[int, float]]
Features = Tuple[Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]], ...]

#: Channels of the stem conv; fixed by every published checkpoint.
STEM_CHANNELS = 64


@MODELS.register_module()
class ConformerBackbone(BaseBackbone):
    """Conformer backbone: a CNN branch and a transformer branch coupled by
    Feature Coupling Units after every block.

    A PyTorch implementation of `Conformer: Local Features Coupling Global
    Representations for Visual Recognition
    <https://arxiv.org/abs/2105.03889>`_. Parameter names are those of
    mmpretrain's ``Conformer``, so its checkpoints load as they are.

    The network has ``depth`` blocks in three stages of ``depth // 3`` blocks.
    Block 1 is the pair ``conv_1`` / ``trans_1``; blocks 2..depth are
    ``conv_trans_{i}``. The CNN branch has ``64r``, ``128r`` and ``256r``
    channels (``r = channel_ratio``, with ``base_channels=64``) at strides 4,
    8 and 16; the last block's fusion bottleneck strides once more, to 32.

    Output contract (always a tuple, one item per index of ``out_indices``,
    in block order):

    - ``out_type='cls_token'``: the pair ``(conv_feature, trans_feature)``.
      ``conv_feature`` is the globally average-pooled CNN map ``(N, C)``;
      ``trans_feature`` is the class token after the final LayerNorm
      ``trans_norm`` ``(N, embed_dims)``, or the mean of all normed tokens when
      ``with_cls_token=False``. This is what :class:`DualBranchClsHead` takes.
    - ``out_type='featmap'``: NCHW maps, chosen by ``featmap_branches``:
      ``'conv'`` gives the CNN map, ``'trans'`` the patch tokens (class token
      dropped, before ``trans_norm``) folded to their grid ``(N, D, h, w)``,
      ``'both'`` the pair ``(conv_map, trans_map)``. Blocks after the last
      index and ``trans_norm`` are not built in this mode (a classification
      checkpoint still loads: its extra keys are ignored), so DDP can run
      with ``find_unused_parameters=False`` for ``'conv'`` and ``'both'``.
      With ``'trans'`` the fusion bottleneck of the last requested block
      feeds nothing: set ``find_unused_parameters=True``.

    For an input of ``H x W`` and patch size ``p``, the token grid is
    ``h = ceil(H / p)`` and the CNN map after block ``i`` has height
    ``h * p / 4 / 2**(s - 1)`` in stage ``s`` of block ``i``, and
    ``ceil(h * p / 32)`` after the last block (same for widths). When ``H``
    and ``W`` are multiples of 32 and ``p`` is 16 or 32 these are exactly
    ``H/4, H/8, H/16, H/32``. The stem output is zero-padded on the
    right/bottom to a multiple of ``p / 4``, so any input size works
    (mmpretrain issue #680).

    Args:
        arch (str | dict): ``'tiny'``, ``'small'``, ``'base'`` (aliases
            ``'t'``, ``'s'``, ``'b'``), or a dict with exactly the keys
            ``embed_dims``, ``depths``, ``num_heads`` and ``channel_ratio``.
            Defaults to ``'tiny'``.
        patch_size (int): Patch size of the transformer branch, a positive
            multiple of 16. Defaults to 16.
        base_channels (int): Channels of the first stage before
            ``channel_ratio``. Defaults to 64.
        mlp_ratio (float): FFN hidden width over ``embed_dims``.
            Defaults to 4.
        qkv_bias (bool): Bias in the qkv projections. Defaults to True.
        with_cls_token (bool): Prepend a learnable class token.
            Defaults to True.
        drop_path_rate (float): Stochastic-depth rate, rising linearly from 0
            at block 1 to this value at the last block. Defaults to 0.
        out_indices (int | Sequence[int]): Blocks whose outputs are returned,
            in ``[2, depth]``; negative values count from the end (``-1`` is
            the last block). Defaults to -1.
        out_type (str): ``'cls_token'`` or ``'featmap'``, see above.
            Defaults to ``'cls_token'``.
        featmap_branches (str): With ``out_type='featmap'``, ``'conv'``,
            ``'trans'`` or ``'both'``. Defaults to ``'conv'``.
        frozen_stages (int): ``-1`` freezes nothing, ``0`` the stem
            (``conv1``, ``bn1``), ``k >= 1`` the stem and stages ``1..k``.
            Frozen parameters get ``requires_grad=False`` and frozen
            BatchNorms stay in eval mode. Defaults to -1.
        norm_eval (bool): Keep every BatchNorm in eval mode (running
            statistics frozen) during training; its affine parameters still
            train unless frozen. Defaults to False.
        with_cp (bool): Activation checkpointing of every block while
            training; saves memory at the cost of recomputation.
            Defaults to False.
        channels_last (bool): Keep conv weights and feature maps in the
            channels-last (NHWC) memory layout. The maths is unchanged; the
            convolutions run faster on CPU (oneDNN) and GPU (cuDNN), and the
            token <-> map conversions of the coupling units become views
            instead of copies. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialization config.
            ``dict(type='Pretrained', checkpoint=..., prefix=...)`` (or a
            list holding only that dict) loads a checkpoint of either layout
            (mmpretrain, or official: converted on the fly) and raises on a
            missing key or a shape mismatch, naming the first one; keys the
            backbone does not build are ignored. A list that mixes
            ``Pretrained`` with other entries is refused (the checkpoint
            would overwrite them). Otherwise the default Conformer init
            runs. Defaults to None.
    """
    arch_zoo: Dict[str, ArchSettings] = ARCH_ZOO
    arch_keys = frozenset({'embed_dims', 'depths', 'num_heads',
                           'channel_ratio'})
    out_types = ('cls_token', 'featmap')
    featmap_branch_choices = ('conv', 'trans', 'both')
    num_stages = 3

    def __init__(self,
                 arch: Union[str, ArchSettings] = 'tiny',
                 patch_size: int = 16,
                 base_channels: int = 64,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 with_cls_token: bool = True,
                 drop_path_rate: float = 0.,
                 out_indices: Union[int, Sequence[int]] = -1,
                 out_type: str = 'cls_token',
                 featmap_branches: str = 'conv',
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 channels_last: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self._parse_pretrained(init_cfg)  # bad init_cfg fails here, early
        self.arch_settings = self._parse_arch(arch)
        self.embed_dims = self.num_features = self.arch_settings['embed_dims']
        self.depth = self.arch_settings['depths']
        self.num_heads = self.arch_settings['num_heads']
        self.channel_ratio = self.arch_settings['channel_ratio']

        _check_int('patch_size', patch_size, minimum=16)
        if patch_size % 16:
            raise ValueError(f'patch_size must be a positive multiple of 16, '
                             f'got {patch_size!r}')
        _check_int('base_channels', base_channels, minimum=4)
        _check_number('mlp_ratio', mlp_ratio, low=0., low_open=True)
        _check_number('drop_path_rate', drop_path_rate, low=0., high=1.)
        if out_type not in self.out_types:
            raise ValueError(f'out_type must be one of {self.out_types}, '
                             f'got {out_type!r}')
        if featmap_branches not in self.featmap_branch_choices:
            raise ValueError(
                f'featmap_branches must be one of '
                f'{self.featmap_branch_choices}, got {featmap_branches!r}')
        _check_int('frozen_stages', frozen_stages, minimum=-1,
                   maximum=self.num_stages)
        for name, flag in (('qkv_bias', qkv_bias),
                           ('with_cls_token', with_cls_token),
                           ('norm_eval', norm_eval), ('with_cp', with_cp),
                           ('channels_last', channels_last)):
            if not isinstance(flag, bool):
                raise TypeError(f'{name} must be a bool, got '
                                f'{type(flag).__name__}: {flag!r}')

        self.patch_size = patch_size
        self.with_cls_token = with_cls_token
        self.out_type = out_type
        self.featmap_branches = featmap_branches
        self.out_indices = self._normalize_out_indices(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.channels_last = channels_last
        # CNN grid (stride 4) over token grid in stage 1.
        self.stem_fcu_stride = patch_size // 4
        blocks_per_stage = self.depth // self.num_stages
        self.stage_channels = tuple(
            int(base_channels * self.channel_ratio * 2**s)
            for s in range(self.num_stages))

        # Stem: 7x7/2 conv, BN, ReLU, 3x3/2 max-pool -> stride 4.
        self.conv1 = nn.Conv2d(
            3, STEM_CHANNELS, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(STEM_CHANNELS)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)

        # Block 1: CNN bottleneck, patch embedding and the first transformer.
        dpr = torch.linspace(
            0, drop_path_rate, self.depth, device='cpu').tolist()
        if with_cls_token:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
            trunc_normal_(self.cls_token, std=.02)
        self.conv_1 = ConvBottleneck(
            STEM_CHANNELS, self.stage_channels[0], with_residual_conv=True)
        self.trans_patch_conv = nn.Conv2d(
            STEM_CHANNELS,
            self.embed_dims,
            kernel_size=self.stem_fcu_stride,
            stride=self.stem_fcu_stride)
        self.trans_1 = TransformerLayer(
            self.embed_dims,
            self.num_heads,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            drop_path_rate=dpr[0])

        # Blocks 2..depth, built from one table. Dense outputs need no block
        # after the last requested one: those are not built, so that DDP runs
        # with find_unused_parameters=False (classification keeps all blocks,
        # as mmpretrain does, so that its checkpoints load strictly).
        last_block = self.depth if out_type == 'cls_token' else \
            self.out_indices[-1]
        self.block_names: List[str] = []
        for index in range(2, last_block + 1):
            stage = (index - 1) // blocks_per_stage  # 0-based
            first_of_stage = stage > 0 and (
                index == stage * blocks_per_stage + 1)
            in_channels = self.stage_channels[stage - int(first_of_stage)]
            name = f'conv_trans_{index}'
            self.add_module(
                name,
                ConvTransBlock(
                    in_channels=in_channels,
                    out_channels=self.stage_channels[stage],
                    embed_dims=self.embed_dims,
                    num_heads=self.num_heads,
                    fcu_stride=self.stem_fcu_stride // 2**stage,
                    conv_stride=2 if first_of_stage else 1,
                    with_residual_conv=first_of_stage,
                    last_fusion=index == self.depth,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    with_cls_token=with_cls_token,
                    drop_path_rate=dpr[index - 1]))
            self.block_names.append(name)

        self.pooling = nn.AdaptiveAvgPool2d(1)
        # The final LayerNorm only feeds the class-token features.
        self.trans_norm = nn.LayerNorm(self.embed_dims) \
            if out_type == 'cls_token' else None
        if channels_last:
            self.to(memory_format=torch.channels_last)
        self._freeze_stages()

    # ------------------------------------------------------------------ #
    # construction helpers
    # ------------------------------------------------------------------ #
    def _parse_arch(self, arch: Union[str, ArchSettings]) -> ArchSettings:
        if isinstance(arch, str):
            key = arch.lower()
            if key not in self.arch_zoo:
                raise KeyError(f'arch {arch!r} is not one of '
                               f'{sorted(self.arch_zoo)}; or pass a dict '
                               f'with keys {sorted(self.arch_keys)}')
            return dict(self.arch_zoo[key])
        if not isinstance(arch, dict):
            raise TypeError(f'arch must be a str or a dict, got '
                            f'{type(arch).__name__}: {arch!r}')
        missing = self.arch_keys - set(arch)
        unknown = set(arch) - self.arch_keys
        if missing or unknown:
            raise KeyError(f'custom arch dict must have exactly the keys '
                           f'{sorted(self.arch_keys)}; missing '
                           f'{sorted(missing)}, unknown {sorted(unknown)}')
        settings = dict(arch)
        for key in ('embed_dims', 'depths', 'num_heads'):
            _check_int(f"arch['{key}']", settings[key], minimum=1)
        _check_number("arch['channel_ratio']", settings['channel_ratio'],
                      low=0., low_open=True)
        if settings['depths'] % self.num_stages:
            raise ValueError(f"arch['depths'] must be a positive multiple "
                             f"of 3, got {settings['depths']!r}")
        if settings['embed_dims'] % settings['num_heads']:
            raise ValueError(
                f"arch['embed_dims']={settings['embed_dims']} is not "
                f"divisible by arch['num_heads']={settings['num_heads']}")
        return settings

    @staticmethod
    def _parse_pretrained(
            init_cfg: Optional[Union[dict, List[dict]]]) -> Optional[dict]:
        """The ``Pretrained`` entry of ``init_cfg`` (a dict, or a list that
        holds it as its only entry), or None when there is none."""
        if init_cfg is None:
            return None
        cfgs = list(init_cfg) if isinstance(init_cfg, (list, tuple)) else \
            [init_cfg]
        if not all(isinstance(c, dict) for c in cfgs):
            raise TypeError(f'init_cfg must be a dict or a list of dicts, got '
                            f'{init_cfg!r}')
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        if not pretrained:
            return None
        if len(cfgs) > 1:
            raise ValueError(
                f"init_cfg: a 'Pretrained' entry loads every backbone weight, "
                f"so it must be the only entry; got {init_cfg!r}")
        if not pretrained[0].get('checkpoint'):
            raise ValueError(f"init_cfg: 'Pretrained' needs a checkpoint, got "
                             f'{pretrained[0]!r}')
        return dict(pretrained[0])

    def _normalize_out_indices(
            self, out_indices: Union[int, Sequence[int]]) -> Tuple[int, ...]:
        if isinstance(out_indices, int) and not isinstance(out_indices, bool):
            out_indices = [out_indices]
        if not isinstance(out_indices, Sequence) or isinstance(
                out_indices, str) or not all(
                    isinstance(i, int) and not isinstance(i, bool)
                    for i in out_indices):
            raise TypeError(f'out_indices must be an int or a sequence of '
                            f'ints, got {out_indices!r}')
        if len(out_indices) == 0:
            raise ValueError('out_indices must not be empty')
        normalized = []
        for index in out_indices:
            value = self.depth + 1 + index if index < 0 else index
            if not 2 <= value <= self.depth:
                raise ValueError(
                    f'out_indices entry {index} is out of range: valid block '
                    f'indices are 2..{self.depth} (or -{self.depth - 1}..-1)')
            normalized.append(value)
        if len(set(normalized)) != len(normalized):
            raise ValueError(f'out_indices {list(out_indices)} name the same '
                             f'block twice (normalized: {normalized})')
        return tuple(sorted(normalized))

    # ------------------------------------------------------------------ #
    # stages, freezing, init
    # ------------------------------------------------------------------ #
    @property
    def unbuilt_modules(self) -> Tuple[str, ...]:
        """The modules a classification backbone of this arch has and this
        one does not build (``out_type='featmap'`` leaves out the blocks
        after the last output and ``trans_norm``). Their keys in a
        classification checkpoint are ignored on loading; any other key the
        backbone lacks is an error."""
        if self.out_type == 'cls_token':
            return ()
        return tuple(f'conv_trans_{i}' for i in range(
            len(self.block_names) + 2, self.depth + 1)) + ('trans_norm', )

    def stage_modules(self, stage: int) -> List[nn.Module]:
        """Modules of ``stage``: 0 is the stem, 1..3 the three stages."""
        if stage == 0:
            return [self.conv1, self.bn1]
        per_stage = self.depth // self.num_stages
        first = (stage - 1) * per_stage + 1
        indices = range(max(first, 2), stage * per_stage + 1)
        modules = [
            getattr(self, f'conv_trans_{i}') for i in indices
            if f'conv_trans_{i}' in self.block_names
        ]
        if stage == 1:
            modules = [self.conv_1, self.trans_patch_conv, self.trans_1
                       ] + modules
        return modules

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 1 and self.with_cls_token:
            self.cls_token.requires_grad = False
        for stage in range(self.frozen_stages + 1):
            for module in self.stage_modules(stage):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'ConformerBackbone':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Switch activation checkpointing of the blocks on or off."""
        self.with_cp = enable

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """The layer depth of a parameter, in mmpretrain's convention, for
        its ``LearningRateDecayOptimWrapperConstructor``.

        - the stem (``conv1``, ``bn1``), the patch embedding
          (``trans_patch_conv``) and ``cls_token``: layer 0;
        - block ``i`` (``conv_1`` and ``trans_1`` for the first,
          ``conv_trans_i`` for the others): layer ``i``;
        - ``trans_norm``, and every parameter outside ``prefix`` (the
          classifier's heads): the top layer, ``depth + 1``.

        Args:
            param_name (str): The parameter's name, e.g.
                ``'backbone.conv_trans_5.trans_block.attn.qkv.weight'``.
            prefix (str): The backbone's prefix in ``param_name``.
                Defaults to ``''``.

        Returns:
            Tuple[int, int]: The layer depth and the number of layers
            (``depth + 2``).
        """
        num_layers = self.depth + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        module = param_name[len(prefix):].split('.', 1)[0]
        if module in ('conv1', 'bn1', 'trans_patch_conv', 'cls_token'):
            return 0, num_layers
        if module in ('conv_1', 'trans_1'):
            return 1, num_layers
        if module.startswith('conv_trans_'):
            return int(module[len('conv_trans_'):]), num_layers
        return num_layers - 1, num_layers

    def init_weights(self) -> None:
        pretrained = self._parse_pretrained(self.init_cfg)
        if pretrained is not None:
            # Load the checkpoint ourselves instead of mmengine's lenient
            # Pretrained init: official layouts are converted, and missing
            # keys or wrong shapes raise instead of loading nothing.
            load_pretrained(self, pretrained['checkpoint'],
                            pretrained.get('prefix'))
            self._is_init = True
            return
        super().init_weights()
        self.apply(_init_conformer_weights)
        if self.with_cls_token:
            trunc_normal_(self.cls_token, std=.02)

    # ------------------------------------------------------------------ #
    # forward
    # ------------------------------------------------------------------ #
    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f'ConformerBackbone expects a torch.Tensor, got '
                            f'{type(x).__name__}')
        if x.dim() != 4:
            raise ValueError(f'ConformerBackbone expects a 4-D (N, 3, H, W) '
                             f'tensor, got shape {tuple(x.shape)}')
        # not while tracing (mmdeploy, TorchScript), where a shape is a
        # traced value and the input was checked on its eager run
        if not torch.jit.is_tracing() and x.shape[1] != 3:
            raise ValueError(f'ConformerBackbone expects 3 input channels, '
                             f'got shape {tuple(x.shape)}')
        if not x.is_floating_point():
            raise TypeError(f'ConformerBackbone expects a floating-point '
                            f'tensor, got dtype {x.dtype}')

    def _check_batchnorm_size(self, x: torch.Tensor,
                              grid: Tuple[int, int]) -> None:
        """Training-mode BatchNorm needs more than one value per channel;
        say so in our words before the first map that is too small."""
        if not self.training or self.norm_eval:
            return
        maps = {'token grid (FCUUp)': grid}
        if f'conv_trans_{self.depth}' in self.block_names:
            scale = self.patch_size / 32
            maps['last block'] = (math.ceil(grid[0] * scale),
                                  math.ceil(grid[1] * scale))
        name, (h, w) = min(maps.items(), key=lambda kv: kv[1][0] * kv[1][1])
        if x.shape[0] * h * w < 2:
            raise ValueError(
                f'ConformerBackbone in training mode: an input of shape '
                f'{tuple(x.shape)} gives a {h}x{w} map at the {name}, and '
                f'BatchNorm needs more than one value per channel. Use a '
                f'batch of at least 2, or a larger input (the token grid is '
                f'ceil(H/{self.patch_size}) x ceil(W/{self.patch_size}))')

    def _pad_to_token_grid(self, x: torch.Tensor) -> torch.Tensor:
        """Zero-pad the stem output on the right/bottom to a multiple of
        ``patch_size / 4``. Always padded, by zero where nothing is missing
        (a small copy): a branch on the amounts would be frozen by tracing
        and specialised by ``torch.export``, so an ONNX graph exported at
        one size would fail at another. The padded size is written as
        ``ceil(size / stride) * stride`` rather than ``size + (-size) %
        stride``: ``torch.export`` then carries every later size as a
        product of the token grid, which its symbolic shapes simplify, and a
        dynamic-size export traces several times faster."""
        stride = self.stem_fcu_stride
        height, width = x.shape[2], x.shape[3]
        return F.pad(x, (0, (width + stride - 1) // stride * stride - width,
                         0, (height + stride - 1) // stride * stride - height))

    def _format_output(self, x: torch.Tensor, x_t: torch.Tensor,
                       grid: Tuple[int, int]):
        if self.out_type == 'cls_token':
            x_t = self.trans_norm(x_t)
            trans = x_t[:, 0] if self.with_cls_token else x_t.mean(dim=1)
            return self.pooling(x).flatten(1), trans
        trans_map = None
        if self.featmap_branches != 'conv':
            tokens = x_t[:, 1:] if self.with_cls_token else x_t
            trans_map = tokens_to_map(tokens, grid)
        if self.featmap_branches == 'conv':
            return x
        if self.featmap_branches == 'trans':
            return trans_map
        return x, trans_map

    def forward(self, x: torch.Tensor) -> Features:
        self._check_input(x)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self._pad_to_token_grid(x)
        grid = (x.shape[2] // self.stem_fcu_stride,
                x.shape[3] // self.stem_fcu_stride)
        self._check_batchnorm_size(x, grid)

        x_t = self.trans_patch_conv(x).flatten(2).transpose(1, 2)
        if self.with_cls_token:
            x_t = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x_t],
                            dim=1)
        x = self.conv_1(x)
        x_t = self.trans_1(x_t)

        outs = []
        for index, name in enumerate(self.block_names, start=2):
            block = getattr(self, name)
            if self.with_cp and self.training and torch.is_grad_enabled():
                x, x_t = cp.checkpoint(block, x, x_t, use_reentrant=False)
            else:
                x, x_t = block(x, x_t)
            if index in self.out_indices:
                outs.append(self._format_output(x, x_t, grid))
        return tuple(outs)


def _init_conformer_weights(m: nn.Module) -> None:
    """The default init of mmpretrain's and the official Conformer."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.0)
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1.)
        nn.init.constant_(m.bias, 0.)
    if isinstance(m, ConvBottleneck):
        m.zero_init_last_bn()


def _check_int(name: str,
               value,
               minimum: Optional[int] = None,
               maximum: Optional[int] = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f'{name} must be an int, got '
                        f'{type(value).__name__}: {value!r}')
    if (minimum is not None and value < minimum) or (maximum is not None
                                                     and value > maximum):
        bounds = f'>= {minimum}' if maximum is None else \
            f'in [{minimum}, {maximum}]'
        raise ValueError(f'{name} must be {bounds}, got {value!r}')


def _check_number(name: str,
                  value,
                  low: float,
                  high: Optional[float] = None,
                  low_open: bool = False) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f'{name} must be a number, got '
                        f'{type(value).__name__}: {value!r}')
    too_low = value <= low if low_open else value < low
    too_high = high is not None and value >= high
    if too_low or too_high:
        left = '(' if low_open else '['
        right = f'{high})' if high is not None else 'inf)'
        raise ValueError(f'{name} must be in {left}{low}, {right}, '
                         f'got {value!r}')
