# Copyright (c) mmconformer contributors. All rights reserved.
"""How far a fast inference copy is from the model it was made from: the
logits' relative difference and the top-1 agreement, over a dataset."""
from typing import Dict, Iterable

import torch
import torch.nn as nn

__all__ = ['compare_logits']


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
