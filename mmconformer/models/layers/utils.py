# Copyright (c) mmconformer contributors. All rights reserved.
"""Constants that fix the numerics of the Conformer layers."""

#: BatchNorm eps inside every bottleneck and FCUUp (the stem BN uses 1e-5).
BN_EPS = 1e-6
#: LayerNorm eps inside the transformer blocks and FCUDown.
LN_EPS = 1e-6
