# Copyright (c) mmconformer contributors. All rights reserved.
"""The published weights, from their host or from a mirror, checked by the
hash in their names.

Every published file name ends in the first 8 hex digits of its SHA-256
(``...-f6860372.pth``). :func:`fetch_weights` fetches a file of that kind
from ``$MMCONFORMER_WEIGHTS_MIRROR`` (a folder or a URL prefix) when it is
set, else from its URL, checks the hash before anything is cached or
loaded, and caches it where torch and mmengine cache downloads
(``$TORCH_HOME/hub/checkpoints``). :func:`register_published_weights` makes
mmengine's ``CheckpointLoader`` (``get_model(..., pretrained=True)``,
``init_cfg=dict(type='Pretrained', checkpoint=URL)``, our tools,
``hubconf.py``) fetch our four published URLs that way.
"""
import hashlib
import os
import os.path as osp
import re
import urllib.request
from typing import IO, Optional

import torch

from ..utils import atomic_write
from .io import CheckpointError, load_checkpoint_file

__all__ = [
    'MIRROR_VARIABLE', 'PUBLISHED_URLS', 'expected_hash_prefix',
    'fetch_weights', 'register_published_weights'
]

#: The environment variable that names a mirror: a folder, or a URL prefix.
MIRROR_VARIABLE = 'MMCONFORMER_WEIGHTS_MIRROR'
_HOST = 'https://download.openmmlab.com/mmclassification/v0/conformer/'
#: The published classifier weights (README "Models").
PUBLISHED_URLS = tuple(_HOST + name for name in (
    'conformer-tiny-p16_3rdparty_8xb128_in1k_20211206-f6860372.pth',
    'conformer-small-p32_8xb128_in1k_20211206-947a0816.pth',
    'conformer-small-p16_3rdparty_8xb128_in1k_20211206-3065dcf5.pth',
    'conformer-base-p16_3rdparty_8xb128_in1k_20211206-bfdf8637.pth',
))


def expected_hash_prefix(name: str) -> str:
    """The SHA-256 prefix a published file name ends in.

    Raises:
        ValueError: the name ends in no ``-<8 hex digits>.pth``.
    """
    match = re.search(r'-([0-9a-f]{8})\.pth$', name)
    if not match:
        raise ValueError(f'{name} does not end in -<the first 8 hex digits '
                         f'of its SHA-256>.pth')
    return match.group(1)


def _open_source(source: str) -> IO[bytes]:
    if re.match(r'^[a-z][a-z0-9+.-]*://', source):
        return urllib.request.urlopen(source)
    return open(source, 'rb')


def fetch_weights(url: str, cache_dir: Optional[str] = None) -> str:
    """The local, hash-checked copy of a published file.

    Args:
        url (str): The file's URL; its last part names the file.
        cache_dir (str, optional): Where checked files are kept. Defaults
            to None (``$TORCH_HOME/hub/checkpoints``, as torch and mmengine
            cache downloads).

    Returns:
        str: The cached file. A file already in the cache was checked when
        it was cached.

    Raises:
        CheckpointError: the file's SHA-256 does not start as its name
            says (reason ``corrupt``), or it cannot be fetched (``missing``);
            nothing is cached then.
    """
    name = url.rstrip('/').rsplit('/', 1)[-1]
    expected = expected_hash_prefix(name)
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(cache_dir, name)
    if osp.isfile(cached):
        return cached
    mirror = os.environ.get(MIRROR_VARIABLE)
    source = (mirror.rstrip('/') + '/' + name if '://' in mirror else
              osp.join(mirror, name)) if mirror else url
    digest = hashlib.sha256()
    try:
        with _open_source(source) as src, atomic_write(cached, 'wb') as dst:
            for chunk in iter(lambda: src.read(1 << 20), b''):
                digest.update(chunk)
                dst.write(chunk)
            actual = digest.hexdigest()[:8]
            if actual != expected:  # raised inside: nothing is cached
                raise CheckpointError(
                    f'{name} from {source}: its SHA-256 starts with '
                    f'{actual}, not {expected} as its name says; nothing '
                    f'was cached', 'corrupt')
    except OSError as err:
        raise CheckpointError(f'cannot fetch {name} from {source}: {err}',
                              'missing') from err
    return cached


def _load_published(filename: str, map_location=None, logger=None):
    return load_checkpoint_file(fetch_weights(filename))


def register_published_weights() -> None:
    """Make mmengine's ``CheckpointLoader`` fetch :data:`PUBLISHED_URLS`
    through :func:`fetch_weights` and read them weights-only (once per
    process; only these four URLs, every other one is mmengine's)."""
    from mmengine.runner import CheckpointLoader
    try:
        CheckpointLoader.register_scheme(list(PUBLISHED_URLS),
                                         _load_published)
    except KeyError:  # registered already in this process
        pass
