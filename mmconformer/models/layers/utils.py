# Copyright (c) mmconformer contributors. All rights reserved.
"""Constants that fix the numerics of the Conformer layers, and the one
token-to-map conversion."""
from typing import Tuple

import torch

#: BatchNorm eps inside every bottleneck and FCUUp (the stem BN uses 1e-5).
BN_EPS = 1e-6
#: LayerNorm eps inside the transformer blocks and FCUDown.
LN_EPS = 1e-6


def tokens_to_map(tokens: torch.Tensor,
                  grid: Tuple[int, int]) -> torch.Tensor:
    """``(B, h*w, C)`` patch tokens as a ``(B, C, h, w)`` map: a view in the
    channels-last layout (no copy). Written with ``reshape``, which ONNX
    exports at every opset (``unflatten`` needs opset 13)."""
    batch, _, channels = tokens.shape
    return tokens.transpose(1, 2).reshape(batch, channels, *grid)
