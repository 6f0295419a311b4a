# Copyright (c) mmconformer contributors. All rights reserved.
"""How far an inference copy is from the model it was made from: the fast
path over a dataset (:func:`compare_logits`), an ONNX or OpenVINO graph over
batches of pixels (:func:`compare_outputs`)."""
from typing import Callable, Dict, Iterable, List, Sequence

import numpy as np
import torch
import torch.nn as nn

__all__ = ['compare_logits', 'compare_outputs']


def compare_logits(reference: nn.Module, candidate: nn.Module,
                   batches: Iterable[dict]) -> Dict[str, float]:
    """Run both models on every batch of a dataloader (mmpretrain data:
    ``inputs`` and ``data_samples``), each through its own data
    preprocessor, and compare the summed logits.

    Args:
        reference (nn.Module): The model as trained (fp32, eager).
        candidate (nn.Module): E.g. ``optimize_for_inference(reference)``.
        batches (Iterable[dict]): A dataloader's batches.

    Returns:
        dict: ``images``; ``top1_agreement`` (fraction of images with the
        same top-1 class); ``max_rel_diff`` (over images, the largest
        absolute logit difference over the largest reference logit
        magnitude of that image); ``reference_top1`` and
        ``candidate_top1`` accuracy against the labels, when there are.
    """
    images = agree = ref_hits = cand_hits = 0
    max_rel = 0.0
    labelled = True
    with torch.no_grad():
        for batch in batches:
            ref = sum(reference(**reference.data_preprocessor(batch, False),
                                mode='tensor')).float()
            cand = sum(candidate(**candidate.data_preprocessor(batch, False),
                                 mode='tensor')).float()
            rel = (cand - ref).abs().amax(1) / ref.abs().amax(1).clamp_min(
                1e-12)
            max_rel = max(max_rel, float(rel.max()))
            ref_top1, cand_top1 = ref.argmax(1), cand.argmax(1)
            agree += int((ref_top1 == cand_top1).sum())
            images += ref.shape[0]
            samples = batch.get('data_samples') or []
            if labelled and samples and all('gt_label' in s
                                            for s in samples):
                labels = torch.cat([s.gt_label for s in samples])
                ref_hits += int((ref_top1 == labels).sum())
                cand_hits += int((cand_top1 == labels).sum())
            else:
                labelled = False
    if images == 0:
        raise ValueError('compare_logits: the batches hold no images')
    result = dict(images=images, top1_agreement=agree / images,
                  max_rel_diff=max_rel)
    if labelled:
        result.update(reference_top1=ref_hits / images,
                      candidate_top1=cand_hits / images)
    return result


def compare_outputs(model: nn.Module, run: Callable[[np.ndarray], Sequence],
                    pixels: Iterable[torch.Tensor]) -> List[Dict]:
    """Run an exported graph (``run``: a float32 ``N x 3 x H x W`` RGB array
    in 0..255 in, its outputs out) and the PyTorch model it was exported
    from (:class:`~.onnx_export.OnnxExportWrapper`) on each batch.

    Returns:
        list[dict]: Per batch: ``shape``, ``max_abs`` (the largest absolute
        difference over all outputs), ``max_rel`` (that difference over the
        largest magnitude of the PyTorch output it belongs to) and, for a
        classifier, ``top1_agreement`` (the fraction of images whose top-1
        class is the same).

    Raises:
        RuntimeError: An output's shape differs from PyTorch's.
    """
    from .onnx_export import OnnxExportWrapper
    wrapper = OnnxExportWrapper(model).cpu().float().eval()
    rows = []
    for batch in pixels:
        batch = batch.float().contiguous()
        with torch.no_grad():
            expected = wrapper(batch)
        expected = expected if isinstance(expected, tuple) else (expected, )
        got = run(batch.numpy())
        max_abs = max_rel = 0.0
        for ref, out in zip((e.numpy() for e in expected), got):
            if ref.shape != out.shape:
                raise RuntimeError(
                    f'the graph\'s output has shape {out.shape} at input '
                    f'{tuple(batch.shape)}, PyTorch\'s {ref.shape}')
            diff = float(np.abs(out - ref).max())
            max_abs = max(max_abs, diff)
            max_rel = max(max_rel, diff / max(float(np.abs(ref).max()),
                                              1e-12))
        row = dict(shape=tuple(batch.shape), max_abs=max_abs,
                   max_rel=max_rel)
        if not wrapper.dense:
            row['top1_agreement'] = float(
                (expected[0].argmax(1).numpy() == got[0].argmax(1)).mean())
        rows.append(row)
    return rows
