"""Published weights from a mirror, checked by the hash in their names."""
import hashlib
import os

import pytest
import torch

from mmconformer.checkpoint import (MIRROR_VARIABLE, PUBLISHED_URLS,
                                    CheckpointError, expected_hash_prefix,
                                    fetch_weights, load_checkpoint_file)

HOST = 'https://host.invalid/weights/'


def fake_weights(folder, name_prefix='fake', good=True):
    """A small checkpoint in ``folder`` under a made-up name that ends in
    its SHA-256 prefix (or, with ``good=False``, in another one)."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / 'scratch'
    torch.save({'state_dict': {'w': torch.arange(4.)}}, scratch)
    digest = hashlib.sha256(scratch.read_bytes()).hexdigest()[:8]
    prefix = digest if good else f'{(int(digest, 16) + 1) % 16**8:08x}'
    path = folder / f'{name_prefix}-{prefix}.pth'
    scratch.rename(path)
    return path, digest


@pytest.mark.parametrize('as_url', [False, True])
def test_a_mirror_serves_a_file_whose_hash_matches(tmp_path, monkeypatch,
                                                   as_url):
    mirror = tmp_path / 'mirror'
    path, _ = fake_weights(mirror)
    monkeypatch.setenv(MIRROR_VARIABLE,
                       f'file://{mirror}' if as_url else str(mirror))
    cache = tmp_path / 'cache'
    cached = fetch_weights(HOST + path.name, str(cache))
    assert cached == str(cache / path.name)
    assert open(cached, 'rb').read() == path.read_bytes()
    assert torch.equal(load_checkpoint_file(cached)['state_dict']['w'],
                       torch.arange(4.))
    # cached: the mirror is not read again
    path.unlink()
    assert fetch_weights(HOST + path.name, str(cache)) == cached


def test_a_file_whose_hash_does_not_match_is_refused_and_not_cached(
        tmp_path, monkeypatch):
    mirror = tmp_path / 'mirror'
    path, actual = fake_weights(mirror, good=False)
    monkeypatch.setenv(MIRROR_VARIABLE, str(mirror))
    cache = tmp_path / 'cache'
    with pytest.raises(CheckpointError) as info:
        fetch_weights(HOST + path.name, str(cache))
    expected = expected_hash_prefix(path.name)
    assert str(info.value) == (
        f'{path.name} from {mirror / path.name}: its SHA-256 starts with '
        f'{actual}, not {expected} as its name says; nothing was cached')
    assert info.value.reason == 'corrupt'
    assert not cache.exists() or os.listdir(cache) == []


def test_a_missing_file_and_a_name_without_a_hash(tmp_path, monkeypatch):
    monkeypatch.setenv(MIRROR_VARIABLE, str(tmp_path))
    with pytest.raises(CheckpointError, match='cannot fetch x-0123abcd.pth'):
        fetch_weights(HOST + 'x-0123abcd.pth', str(tmp_path / 'cache'))
    with pytest.raises(ValueError, match='does not end in'):
        expected_hash_prefix('model.pth')


@pytest.mark.parametrize('how', ['get_model', 'hubconf', 'init_cfg'])
def test_published_urls_go_through_the_mirror_and_the_check(
        how, tmp_path, monkeypatch):
    """get_model(pretrained=True), hubconf.py and a Pretrained init_cfg:
    the published file's name in a mirror with other bytes is refused
    (which shows the download went through the mirror and the check), and
    nothing is cached."""
    url = PUBLISHED_URLS[0]
    name = url.rsplit('/', 1)[1]
    mirror = tmp_path / 'mirror'
    mirror.mkdir()
    (mirror / name).write_bytes(b'not the published weights')
    monkeypatch.setenv(MIRROR_VARIABLE, str(mirror))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    with pytest.raises(CheckpointError, match=f'{name} from {mirror / name}:'
                       ' its SHA-256 starts with [0-9a-f]{8}, not f6860372'):
        if how == 'get_model':
            from mmpretrain import get_model
            get_model('conformer-tiny-p16_mmconformer_in1k', pretrained=True)
        elif how == 'hubconf':
            from _helpers import REPO_ROOT
            torch.hub.load(REPO_ROOT, 'conformer_tiny_p16', source='local',
                           pretrained=True)
        else:
            from mmpretrain.registry import MODELS
            backbone = MODELS.build(dict(
                type='ConformerBackbone', arch='tiny', init_cfg=dict(
                    type='Pretrained', checkpoint=url, prefix='backbone.')))
            backbone.init_weights()
    checkpoints = tmp_path / 'torch' / 'hub' / 'checkpoints'
    assert not checkpoints.exists() or os.listdir(checkpoints) == []
