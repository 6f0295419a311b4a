"""Our four models by name: mmpretrain's get_model, list_models, the
Inferencer and inference_model build ConformerBackbone + DualBranchClsHead,
and pretrained=True fetches the metafile's weights URL."""
import os.path as osp

import numpy as np
import pytest
import torch
import yaml
from _helpers import REPO_ROOT
from mmengine.runner.checkpoint import CheckpointLoader
from mmpretrain import get_model, inference_model, list_models
from mmpretrain.apis import ImageClassificationInferencer

from mmconformer import ConformerBackbone, DualBranchClsHead
from mmconformer.apis import model_index_path

with open(osp.join(REPO_ROOT, 'configs', 'metafile.yml')) as f:
    METAFILE = {m['Name']: m for m in yaml.safe_load(f)['Models']}
NAMES = sorted(METAFILE)


def test_names_are_our_own_and_listed():
    assert NAMES == [f'conformer-{arch}_mmconformer_in1k' for arch in
                     ('base-p16', 'small-p16', 'small-p32', 'tiny-p16')]
    listed = list_models('*conformer*')
    assert set(NAMES) <= set(listed)
    # mmpretrain's own names are still there, and still its own model
    assert 'conformer-tiny-p16_3rdparty_in1k' in listed
    theirs = get_model('conformer-tiny-p16_3rdparty_in1k')
    assert type(theirs.backbone).__name__ == 'Conformer'


def test_model_index_is_found():
    path = model_index_path()
    assert path is not None and osp.isfile(path)


@pytest.mark.parametrize('name', NAMES)
def test_get_model_builds_ours(name):
    with torch.device('meta'):
        model = get_model(name)
    assert isinstance(model.backbone, ConformerBackbone)
    assert isinstance(model.head, DualBranchClsHead)
    assert model.head.num_classes == 1000
    arch, patch = name.split('_')[0][len('conformer-'):].split('-p')
    assert model.backbone.patch_size == int(patch)
    assert sum(p.numel() for p in model.parameters()) == \
        METAFILE[name]['Metadata']['Parameters']


@pytest.fixture
def fake_download(monkeypatch):
    """Serve https:// checkpoints from memory (no network here): the state
    dict of a freshly built model of the requested name, and record the
    URL."""
    requested = []

    def load_from_http(url, map_location=None, **kwargs):
        requested.append(url)
        name = next(n for n, m in METAFILE.items() if m['Weights'] == url)
        model = get_model(name)
        model.init_weights()
        return {'state_dict': model.state_dict(), 'meta': {}}

    # first: before mmengine's https:// and our published-weights loader
    schemes = dict([('https://download.openmmlab.com/', load_from_http)] +
                   list(CheckpointLoader._schemes.items()))
    monkeypatch.setattr(CheckpointLoader, '_schemes', schemes)
    return requested


def test_pretrained_true_loads_the_metafile_weights(fake_download):
    name = 'conformer-tiny-p16_mmconformer_in1k'
    model = get_model(name, pretrained=True)
    assert fake_download == [METAFILE[name]['Weights']]
    assert isinstance(model.backbone, ConformerBackbone)


def test_inferencer_and_inference_model_by_name(fake_download):
    name = 'conformer-tiny-p16_mmconformer_in1k'
    image = np.random.default_rng(0).integers(0, 255, (64, 80, 3), np.uint8)
    inferencer = ImageClassificationInferencer(name)
    assert isinstance(inferencer.model.backbone, ConformerBackbone)
    result = inferencer(image)[0]
    assert 0 <= result['pred_label'] < 1000
    sample = inference_model(name, image)
    assert 0 <= sample['pred_label'] < 1000
    assert fake_download == [METAFILE[name]['Weights']] * 2
