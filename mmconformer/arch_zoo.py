# Copyright (c) mmconformer contributors. All rights reserved.
"""The published Conformer archs, by name and alias: the one table that
the backbone (``ConformerBackbone.arch_zoo``) and the official-checkpoint
converter read. A leaf module: it imports nothing."""

#: name or alias -> ``embed_dims``, ``channel_ratio``, ``num_heads`` and
#: ``depths`` (blocks).
ARCH_ZOO = {
    **dict.fromkeys(['t', 'tiny'], {
        'embed_dims': 384, 'channel_ratio': 1, 'num_heads': 6,
        'depths': 12}),
    **dict.fromkeys(['s', 'small'], {
        'embed_dims': 384, 'channel_ratio': 4, 'num_heads': 6,
        'depths': 12}),
    **dict.fromkeys(['b', 'base'], {
        'embed_dims': 576, 'channel_ratio': 6, 'num_heads': 9,
        'depths': 12}),
}  # yapf: disable
