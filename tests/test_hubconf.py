"""hubconf.py: every entry through torch.hub.load(source='local')."""
import pytest
import torch
from _helpers import REPO_ROOT

#: entry -> (embed_dims, patch size, CNN channels of the last stage)
ENTRIES = {
    'conformer_tiny_p16': (384, 16, 256),
    'conformer_small_p32': (384, 32, 1024),
    'conformer_small_p16': (384, 16, 1024),
    'conformer_base_p16': (576, 16, 1536),
}


def test_the_entries_are_the_published_archs():
    """What torch.hub lists: the module's public callables."""
    import importlib.util
    import os.path as osp
    spec = importlib.util.spec_from_file_location(
        'hubconf', osp.join(REPO_ROOT, 'hubconf.py'))
    hubconf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hubconf)
    entries = [name for name, obj in vars(hubconf).items()
               if callable(obj) and not name.startswith('_')]
    assert sorted(entries) == sorted(ENTRIES)
    assert hubconf.dependencies == ['torch', 'mmengine', 'mmpretrain']


@pytest.mark.parametrize('entry', sorted(ENTRIES))
def test_each_entry_builds_its_classifier(entry):
    embed_dims, patch_size, channels = ENTRIES[entry]
    model = torch.hub.load(REPO_ROOT, entry, source='local',
                           pretrained=False)
    assert type(model).__name__ == 'ImageClassifier'
    backbone = model.backbone
    assert type(backbone).__name__ == 'ConformerBackbone'
    assert (backbone.embed_dims, backbone.patch_size,
            backbone.stage_channels[-1]) == (embed_dims, patch_size, channels)
    assert model.head.num_classes == 1000
    with torch.no_grad():
        logits = model.eval()(torch.rand(1, 3, 64, 64), mode='tensor')
    assert sum(logits).shape == (1, 1000)


def test_pretrained_loads_the_published_weights(
        published_weights_served_here):
    """pretrained=True goes through get_model's loader: the weights the
    published URL serves are the model's, every one of them."""
    model = torch.hub.load(REPO_ROOT, 'conformer_tiny_p16', source='local',
                           pretrained=True)
    (url, served), = published_weights_served_here.items()
    assert url.endswith('conformer-tiny-p16_3rdparty_8xb128_in1k_'
                        '20211206-f6860372.pth')
    state = model.state_dict()
    assert state.keys() == served.keys()
    for key, value in served.items():
        assert torch.equal(state[key], value), key
