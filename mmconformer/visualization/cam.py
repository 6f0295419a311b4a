# Copyright (c) mmconformer contributors. All rights reserved.
"""Class activation maps of either Conformer branch, and the transformer
branch's class-token attention (built on grad-cam >= 1.5)."""
import math
import os.path as osp
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from ..models.heads.dual_branch_cls_head import BRANCHES
from ..models.layers.utils import tokens_to_map

__all__ = [
    'CAM_BRANCHES', 'METHODS', 'branch_cam', 'cls_token_attention',
    'combine_branch_cams', 'load_rgb', 'prepare_input', 'target_layer'
]

#: What a CAM can explain: each branch's logits, or their sum (``'both'``,
#: the classifier's prediction); the head's ``BRANCHES`` are the first two.
CAM_BRANCHES = BRANCHES + ('both', )
#: ``--method`` values -> grad-cam class names.
METHODS = {
    'gradcam': 'GradCAM',
    'gradcam++': 'GradCAMPlusPlus',
    'xgradcam': 'XGradCAM',
    'layercam': 'LayerCAM',
    'eigencam': 'EigenCAM',
}
ImageLike = Union[str, np.ndarray]


class SummedLogits(nn.Module):
    """The classifier as grad-cam expects it: one logit tensor per batch.
    Conformer predicts with the sum of its two branches' logits, so the CAM
    explains that prediction."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        conv_logits, trans_logits = self.classifier(inputs, mode='tensor')
        return conv_logits + trans_logits


def load_rgb(image: ImageLike) -> np.ndarray:
    """An ``H x W x 3`` uint8 RGB array from a path or such an array."""
    if isinstance(image, str):
        if not osp.isfile(image):
            raise FileNotFoundError(f'image not found: {image}')
        return np.asarray(Image.open(image).convert('RGB'))
    if not isinstance(image, np.ndarray) or image.ndim != 3 or \
            image.shape[2] != 3 or image.dtype != np.uint8:
        raise TypeError(
            'image must be a path or an H x W x 3 uint8 RGB array, got ' +
            (f'an array of shape {image.shape} and dtype {image.dtype}'
             if isinstance(image, np.ndarray) else type(image).__name__))
    return image


def _test_input_size(model: nn.Module) -> Optional[int]:
    """The side the model's config tests at (its last crop or resize), if
    the model carries its config (``get_model`` and ``init_model`` set
    ``_config``)."""
    cfg = getattr(model, '_config', None)
    try:
        pipeline = cfg.test_dataloader.dataset.pipeline
    except AttributeError:
        return None
    size = None
    for transform in pipeline:
        value = transform.get('crop_size', transform.get('scale'))
        if isinstance(value, int):
            size = value
        elif isinstance(value, (tuple, list)) and value:
            size = min(value)
    return size


def prepare_input(model: nn.Module, image: ImageLike,
                  input_size: Optional[int] = None
                  ) -> Tuple[torch.Tensor, np.ndarray]:
    """The whole image, resized (aspect kept) so that its short side is
    ``input_size`` (default: the side the model's config tests at, else the
    image's own), through the model's data preprocessor.

    Returns:
        tuple: the ``1 x 3 x h x w`` input and the RGB image.
    """
    rgb = load_rgb(image)
    height, width = rgb.shape[:2]
    short = input_size or _test_input_size(model) or min(height, width)
    scale = short / min(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    # BGR, as mmcv loads images; the preprocessor converts (to_rgb)
    bgr = torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1]))
    chw = bgr.permute(2, 0, 1)[None].float()
    if size != (height, width):
        chw = F.interpolate(chw, size, mode='bilinear', align_corners=False)
    param = next(model.parameters())
    data = model.data_preprocessor({'inputs': [chw[0].to(param.device)]},
                                   False)
    return data['inputs'], rgb


def _block_index(model: nn.Module, block: int) -> int:
    """``block`` (1..depth, negative from the end) as 1..depth."""
    depth = len(model.backbone.block_names) + 1
    if isinstance(block, (int, np.integer)) and not isinstance(block, bool):
        index = int(depth + 1 + block if block < 0 else block)
        if 1 <= index <= depth:
            return index
    raise ValueError(f'block must be in 1..{depth} or -{depth}..-1, got '
                     f'{block!r}')


def target_layer(model: nn.Module, branch: str, block: int = -1) -> nn.Module:
    """The layer whose output a branch's CAM explains, at block ``block``.

    The CNN branch: the block's last bottleneck (``conv_1`` for block 1, the
    fusion bottleneck of ``conv_trans_k``); for the last block, the map the
    conv head pools. The transformer branch: the first LayerNorm of the
    block's transformer layer, i.e. the tokens its attention mixes (the ViT
    convention of grad-cam and of mmpretrain's ``--vit-like``); at the last
    block, what the class token read by the transformer head is made of.
    The patch tokens *after* the last layer reach no head of their branch.

    Args:
        model (nn.Module): As for :func:`branch_cam`.
        branch (str): ``'conv'`` or ``'trans'``.
        block (int): 1 is ``conv_1`` / ``trans_1``, ``k >= 2`` is
            ``conv_trans_k``; negative values count from the end. Defaults
            to -1, the last block.
    """
    _check_choice('branch', branch, BRANCHES)
    index = _block_index(model, block)
    backbone = model.backbone
    if index == 1:
        return backbone.conv_1 if branch == 'conv' else backbone.trans_1.ln1
    layer = getattr(backbone, f'conv_trans_{index}')
    return layer.fusion_block if branch == 'conv' else layer.trans_block.ln1


def _tokens_to_grid(backbone: nn.Module,
                    input_hw: Tuple[int, int]) -> Callable:
    """grad-cam's reshape_transform for the transformer branch: drop the
    class token and fold the patch tokens to their grid."""
    grid = tuple(math.ceil(s / backbone.patch_size) for s in input_hw)

    def reshape(tokens: torch.Tensor) -> torch.Tensor:
        if backbone.with_cls_token:
            tokens = tokens[:, 1:]
        return tokens_to_map(tokens, grid)

    return reshape


def _resize_map(cam: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(cam, np.float32))
    out = F.interpolate(tensor[None, None], hw, mode='bilinear',
                        align_corners=False)[0, 0].numpy()
    return np.clip(out, 0, 1)


def _normalize(cam: np.ndarray) -> np.ndarray:
    low, high = float(cam.min()), float(cam.max())
    return (cam - low) / (high - low) if high > low else np.zeros_like(cam)


def combine_branch_cams(conv: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """The ``'both'`` map: the mean of the two branches' maps, rescaled to
    [0, 1]."""
    return _normalize((conv + trans) / 2).astype(np.float32)


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f'{name} must be one of {list(choices)}, got '
                         f'{value!r}')


def branch_cam(model: nn.Module,
               image: ImageLike,
               branch: str = 'conv',
               method: str = 'gradcam',
               target_category: Optional[int] = None,
               input_size: Optional[int] = None,
               target_block: int = -1) -> np.ndarray:
    """A class activation map of one Conformer branch, or of both.

    Args:
        model (nn.Module): A classifier with a ``ConformerBackbone``
            (``out_type='cls_token'``) and ``DualBranchClsHead``, e.g. from
            ``mmpretrain.get_model``.
        image (str | np.ndarray): A path, or an ``H x W x 3`` uint8 RGB
            array.
        branch (str): ``'conv'`` (target: the last fusion bottleneck),
            ``'trans'`` (the tokens entering the last transformer layer's
            attention; patch tokens folded to their grid, class token
            dropped) or ``'both'`` (the mean of the two maps, rescaled).
            Defaults to ``'conv'``.
        method (str): One of :data:`METHODS`. Defaults to ``'gradcam'``.
        target_category (int, optional): The class to explain. Defaults to
            None: the predicted one (from the summed logits).
        input_size (int, optional): Short side of the input the map is
            computed on (the whole image is resized, aspect kept). Defaults
            to None: the side the model's config tests at, else the image's.
        target_block (int): The block whose output is explained (see
            :func:`target_layer`): 1..depth, negative from the end. Earlier
            blocks have finer maps (stride 4, 8 and 16 in the three stages,
            32 after the last fusion bottleneck) but are less specific to
            the class. Defaults to -1, the last block.

    Returns:
        np.ndarray: ``H x W`` float32 in [0, 1], at the image's resolution.
        The model's mode is restored, and no gradients are left behind.
    """
    _check_choice('branch', branch, CAM_BRANCHES)
    _check_choice('method', method, METHODS)
    if branch == 'both':
        maps = [branch_cam(model, image, b, method, target_category,
                           input_size, target_block)
                for b in ('conv', 'trans')]
        return combine_branch_cams(*maps)
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    num_classes = model.head.num_classes
    if target_category is not None and not (
            isinstance(target_category, (int, np.integer))
            and 0 <= target_category < num_classes):
        raise ValueError(f'target_category must be an int in [0, '
                         f'{num_classes}), got {target_category!r}')
    layer = target_layer(model, branch, target_block)
    was_training = model.training
    model.eval()
    try:
        inputs, rgb = prepare_input(model, image, input_size)
        cam_class = getattr(pytorch_grad_cam, METHODS[method])
        reshape = None if branch == 'conv' else _tokens_to_grid(
            model.backbone, inputs.shape[-2:])
        targets = None if target_category is None else \
            [ClassifierOutputTarget(int(target_category))]
        wrapper = SummedLogits(model)
        with cam_class(model=wrapper, target_layers=[layer],
                       reshape_transform=reshape) as cam:
            grayscale = cam(input_tensor=inputs, targets=targets)[0]
        wrapper.zero_grad(set_to_none=True)
    finally:
        model.train(was_training)
    return _resize_map(grayscale, rgb.shape[:2]).astype(np.float32)


def cls_token_attention(model: nn.Module,
                        image: ImageLike,
                        block: int = -1,
                        input_size: Optional[int] = None) -> np.ndarray:
    """Attention from the class token to every patch, per head.

    Args:
        model (nn.Module): As for :func:`branch_cam`; the backbone needs its
            class token (``with_cls_token=True``).
        image (str | np.ndarray): A path or an RGB array.
        block (int): The transformer layer: 1 is ``trans_1``, ``k >= 2`` the
            one of ``conv_trans_k``; negative values count from the end.
            Defaults to -1.
        input_size (int, optional): As for :func:`branch_cam`.

    Returns:
        np.ndarray: ``num_heads x h x w`` softmax weights on the token grid
        (each head's map sums to 1 minus the weight on the class token).
    """
    backbone = model.backbone
    if not backbone.with_cls_token:
        raise ValueError('class-token attention needs a backbone with '
                         'with_cls_token=True')
    index = _block_index(model, block)
    layer = backbone.trans_1 if index == 1 else getattr(
        backbone, f'conv_trans_{index}').trans_block
    attn = layer.attn
    captured = []
    handle = attn.register_forward_pre_hook(
        lambda module, args: captured.append(args[0].detach()))
    was_training = model.training
    model.eval()
    try:
        inputs, _ = prepare_input(model, image, input_size)
        with torch.no_grad():
            model(inputs, mode='tensor')
    finally:
        handle.remove()
        model.train(was_training)
    tokens = captured[0][:1]
    with torch.no_grad():
        qkv = attn.qkv(tokens).reshape(1, tokens.shape[1], 3, attn.num_heads,
                                       attn.head_dims)
        q, k, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        weights = ((q @ k.transpose(-2, -1)) * attn.head_dims**-0.5).softmax(
            dim=-1)
    grid = tuple(math.ceil(s / backbone.patch_size)
                 for s in inputs.shape[-2:])
    return weights[0, :, 0, 1:].reshape(-1, *grid).float().cpu().numpy()


def cam_figure(rgb: np.ndarray, cams: Dict[str, np.ndarray],
               attention: Optional[np.ndarray] = None, title: str = ''):
    """A matplotlib figure: the image with each CAM over it; below, the
    class-token attention averaged over heads and per head. The caller picks
    the backend (Agg to save only)."""
    import matplotlib.pyplot as plt
    columns = max(1 + len(cams), 0 if attention is None else
                  1 + len(attention))
    rows = 1 if attention is None else 2
    fig, axes = plt.subplots(rows, columns, squeeze=False,
                             figsize=(2.2 * columns, 2.4 * rows))
    for ax in axes.flat:
        ax.axis('off')
    axes[0, 0].imshow(rgb)
    axes[0, 0].set_title('image', fontsize=8)
    for ax, (name, cam) in zip(axes[0, 1:], cams.items()):
        ax.imshow(rgb)
        ax.imshow(cam, cmap='jet', alpha=0.45, vmin=0, vmax=1)
        ax.set_title(name, fontsize=8)
    if attention is not None:
        hw = rgb.shape[:2]
        maps = [attention.mean(0)] + list(attention)
        names = ['cls attention, mean'] + [
            f'head {i}' for i in range(len(attention))
        ]
        for ax, name, grid in zip(axes[1], names, maps):
            ax.imshow(rgb)
            up = _resize_map(_normalize(grid), hw)
            ax.imshow(up, cmap='viridis', alpha=0.55, vmin=0, vmax=1)
            ax.set_title(name, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
