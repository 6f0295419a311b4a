# Copyright (c) mmconformer contributors. All rights reserved.
"""torch.hub entry points: one Conformer classifier (ImageNet-1k, 224x224)
per published arch.

Example::

    import torch
    model = torch.hub.load('path/to/mmconformer', 'conformer_tiny_p16',
                           source='local', pretrained=True)

Each entry is mmpretrain's ``get_model`` with our model name, so
``pretrained=True`` loads the published weights exactly as
``get_model(..., pretrained=True)`` does.
"""
dependencies = ['torch', 'mmengine', 'mmpretrain']


def _classifier(name: str, pretrained: bool, **kwargs):
    import mmconformer  # noqa: F401  (registers our models and names)
    from mmpretrain import get_model
    return get_model(name, pretrained=pretrained, **kwargs)


def conformer_tiny_p16(pretrained: bool = False, **kwargs):
    """Conformer-tiny-p16 (23.5 M parameters).

    Args:
        pretrained (bool): Load the published ImageNet-1k weights.
            Defaults to False.
        **kwargs: Passed to mmpretrain's ``get_model`` (``device``,
            ``head=dict(num_classes=...)`` ...).
    """
    return _classifier('conformer-tiny-p16_mmconformer_in1k', pretrained,
                       **kwargs)


def conformer_small_p32(pretrained: bool = False, **kwargs):
    """Conformer-small-p32 (38.9 M parameters); arguments as
    :func:`conformer_tiny_p16`'s."""
    return _classifier('conformer-small-p32_mmconformer_in1k', pretrained,
                       **kwargs)


def conformer_small_p16(pretrained: bool = False, **kwargs):
    """Conformer-small-p16 (37.7 M parameters); arguments as
    :func:`conformer_tiny_p16`'s."""
    return _classifier('conformer-small-p16_mmconformer_in1k', pretrained,
                       **kwargs)


def conformer_base_p16(pretrained: bool = False, **kwargs):
    """Conformer-base-p16 (83.3 M parameters); arguments as
    :func:`conformer_tiny_p16`'s."""
    return _classifier('conformer-base-p16_mmconformer_in1k', pretrained,
                       **kwargs)
