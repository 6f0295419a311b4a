"""compare_logits: agreement and relative logit difference of two models."""
import copy

import pytest
import torch
from _helpers import CONFIG_DIR, TINY_ARCH
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmconformer.apis import compare_logits
from mmconformer.apis import load_classifier

DEMO = f'{CONFIG_DIR}/demo/conformer-tiny-p16_1xb32_shapes.py'


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(DEMO)
    cfg.model.backbone.arch = TINY_ARCH
    cfg.model.head.in_channels = [256, TINY_ARCH['embed_dims']]
    return load_classifier(cfg)


def batches(labels=(0, 1, 2, 3)):
    gen = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 48, 48), generator=gen,
                            dtype=torch.uint8) for _ in labels]
    samples = [DataSample().set_gt_label(label) for label in labels]
    return [dict(inputs=images[:2], data_samples=samples[:2]),
            dict(inputs=images[2:], data_samples=samples[2:])]


def test_a_model_against_itself(model):
    result = compare_logits(model, model, batches())
    assert result['images'] == 4
    assert result['top1_agreement'] == 1.0
    assert result['max_rel_diff'] == 0.0
    assert result['reference_top1'] == result['candidate_top1']


def test_differences_and_disagreements_are_counted(model):
    other = copy.deepcopy(model)
    with torch.no_grad():
        # a large bias on class 5 makes it every image's top-1
        other.head.conv_cls_head.bias[5] += 1e3
    result = compare_logits(model, other, batches())
    ref_top1 = [int(sum(model(**model.data_preprocessor(b, False),
                              mode='tensor')).argmax(1)[i])
                for b in batches() for i in range(2)]
    assert result['top1_agreement'] == sum(t == 5 for t in ref_top1) / 4
    assert result['max_rel_diff'] > 1
    assert result['candidate_top1'] == 0.0  # no label is 5


def test_no_images_is_an_error(model):
    with pytest.raises(ValueError, match='no images'):
        compare_logits(model, model, [])
