"""Every unreadable file gets CheckpointError with the right diagnosis, and a
fuzz corpus of corrupt files gets one clear line everywhere it can enter."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from _helpers import TINY_ARCH, load_tool
from _official_layout import to_official
from mmpretrain.registry import MODELS

from mmconformer import ConformerBackbone
from mmconformer.checkpoint import (CheckpointError, load_checkpoint_file,
                                    load_pretrained, save_atomic)

# ---------------------------------------------------------------------- #
# Real checkpoints to damage
# ---------------------------------------------------------------------- #


def official_checkpoint() -> dict:
    model = MODELS.build(
        dict(type='ImageClassifier',
             backbone=dict(type='ConformerBackbone', arch=TINY_ARCH,
                           base_channels=16, patch_size=32),
             head=dict(type='DualBranchClsHead', num_classes=3,
                       in_channels=[64, 32])))
    return {'model': to_official(model.state_dict())}


def saved(obj, legacy=False) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


@pytest.fixture(scope='module')
def real():
    """The same official-layout checkpoint in torch's zip format and in its
    legacy pickle format."""
    checkpoint = official_checkpoint()
    return {'zip': saved(checkpoint), 'legacy': saved(checkpoint, True)}


def data_pkl_span(data: bytes):
    """(start, end) of data.pkl's bytes inside a torch zip file."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = next(i for i in archive.infolist()
                if i.filename.endswith('data.pkl'))
    name_len = int.from_bytes(data[info.header_offset + 26:
                                   info.header_offset + 28], 'little')
    extra_len = int.from_bytes(data[info.header_offset + 28:
                                    info.header_offset + 30], 'little')
    start = info.header_offset + 30 + name_len + extra_len
    return start, start + info.compress_size


# ---------------------------------------------------------------------- #
# One diagnosis per kind of file
# ---------------------------------------------------------------------- #
class Exploit:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class SystemCall:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize('kind,reason,match', [
    ('missing', 'missing', 'checkpoint not found'),
    ('empty', 'empty', r'is empty \(0 bytes\)'),
    ('folder', 'not_checkpoint', 'not a checkpoint file'),
    ('png', 'not_checkpoint', "not a PyTorch checkpoint.*b'\\\\x89PNG"),
    ('text', 'not_checkpoint', 'neither a zip archive nor'),
    ('plain_pickle', 'not_checkpoint', 'neither a zip archive nor'),
    ('other_zip', 'not_checkpoint', 'a zip archive without data.pkl'),
    ('saved_list', 'not_checkpoint', 'it holds a list, not a dict'),
    ('truncated_zip', 'corrupt', 'truncated or corrupt'),
    ('flipped_zip', 'corrupt', 'truncated or corrupt.*CRC'),
    ('truncated_legacy', 'corrupt', 'truncated or corrupt'),
    ('open', 'refused', r'would import or call (io\.)?open,.*could run code'),
    ('os_system', 'refused', 'would import or call (os|posix).system'),
])
def test_each_fault_is_named_with_its_reason(tmp_path, real, kind,
                                             reason, match):
    path = tmp_path / 'ckpt.pth'
    if kind == 'missing':
        pass
    elif kind == 'empty':
        write(path, b'')
    elif kind == 'folder':
        path.mkdir()
    elif kind == 'png':
        write(path, b'\x89PNG\r\n\x1a\n' + bytes(100))
    elif kind == 'text':
        write(path, b'model weights go here\n')
    elif kind == 'plain_pickle':
        write(path, pickle.dumps({'a': 1}))
    elif kind == 'other_zip':
        with zipfile.ZipFile(path, 'w') as archive:
            archive.writestr('readme.txt', 'hello')
    elif kind == 'saved_list':
        torch.save([torch.ones(2)], path)
    elif kind == 'truncated_zip':
        write(path, real['zip'][:len(real['zip']) // 2])
    elif kind == 'flipped_zip':
        data = bytearray(real['zip'])
        start, end = data_pkl_span(real['zip'])
        data[(start + end) // 2] ^= 0x10
        write(path, bytes(data))
    elif kind == 'truncated_legacy':
        write(path, real['legacy'][:len(real['legacy']) // 3])
    elif kind == 'open':
        torch.save({'x': Exploit(str(tmp_path / 'marker'))}, path)
    elif kind == 'os_system':
        torch.save({'x': SystemCall()}, path)
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint_file(str(path))
    assert info.value.reason == reason
    assert '\n' not in str(info.value)
    assert not (tmp_path / 'marker').exists()


def test_valid_checkpoints_load(tmp_path, real):
    for fmt, data in real.items():
        checkpoint = load_checkpoint_file(str(write(tmp_path / fmt, data)))
        assert set(checkpoint) == {'model'}
    # torch.save can skip the CRCs (all zero): nothing to verify, still read
    torch.serialization.set_crc32_options(False)
    try:
        torch.save({'a': torch.ones(3)}, tmp_path / 'nocrc.pth')
    finally:
        torch.serialization.set_crc32_options(True)
    assert torch.equal(load_checkpoint_file(str(tmp_path / 'nocrc.pth'))['a'],
                       torch.ones(3))


def test_save_atomic_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / 'out.pth'
    path.write_bytes(b'old')

    class Unpicklable:

        def __reduce__(self):
            raise RuntimeError('cannot pickle')

    with pytest.raises(RuntimeError, match='cannot pickle'):
        save_atomic({'x': Unpicklable()}, str(path))
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['out.pth']


# ---------------------------------------------------------------------- #
# Fuzzing
# ---------------------------------------------------------------------- #
def fuzz_corpus(real, seed=0):
    """1,000+ damaged files, seeded: random bytes (some behind a zip or
    legacy-pickle header, so that they reach the unzipper and the
    unpickler), both formats truncated at every 2% of their length, and
    bit flips inside the zip checkpoint's pickle."""
    rng = np.random.default_rng(seed)
    legacy_head = real['legacy'][:12]
    corpus = []
    for i in range(330):
        body = rng.integers(0, 256, int(rng.integers(0, 3000)),
                            np.uint8).tobytes()
        head = (b'', b'PK\x03\x04', legacy_head)[i % 3]
        corpus.append((f'random-{i}', head + body))
    for fmt in ('zip', 'legacy'):
        data = real[fmt]
        for percent in range(0, 100, 2):
            corpus.append((f'{fmt}-cut-{percent}%',
                           data[:len(data) * percent // 100]))
    start, end = data_pkl_span(real['zip'])
    for i in range(580):
        data = bytearray(real['zip'])
        offset = int(rng.integers(start, end))
        data[offset] ^= 1 << int(rng.integers(0, 8))
        corpus.append((f'zip-flip-{i}@{offset}', bytes(data)))
    return corpus


@pytest.mark.slow
def test_fuzz_every_entry_point_gives_one_clear_line(tmp_path, real, capsys):
    corpus = fuzz_corpus(real)
    assert len(corpus) >= 1000
    tool = load_tool('model_converters/conformer_to_mmpretrain.py')
    backbone = ConformerBackbone(arch=TINY_ARCH, base_channels=16,
                                 patch_size=32)
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    reasons = {}
    for name, data in corpus:
        write(src, data)
        dst.write_bytes(b'untouched')
        with pytest.raises(CheckpointError) as info:
            load_checkpoint_file(str(src))
        reason = info.value.reason
        assert reason in ('empty', 'not_checkpoint', 'corrupt'), \
            f'{name}: {reason}: {info.value}'
        assert str(info.value) and '\n' not in str(info.value), name
        reasons[reason] = reasons.get(reason, 0) + 1
        with pytest.raises(CheckpointError) as info:
            load_pretrained(backbone, str(src), prefix='backbone.')
        assert info.value.reason == reason, name
        capsys.readouterr()
        assert tool.main([str(src), str(dst)]) == 1, name
        out = capsys.readouterr()
        assert out.out == '', name
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith('error: '), \
            f'{name}: {out.err}'
        assert 'Traceback' not in out.err
        assert dst.read_bytes() == b'untouched', name
        assert sorted(os.listdir(tmp_path)) == ['dst.pth', 'src.pth'], name
    # every kind of damage was reached
    assert reasons['corrupt'] > 600 and reasons['not_checkpoint'] > 100
    assert reasons['empty'] >= 2  # the two 0% cuts (and 0-byte randoms)


#: What torch.load raises for a fault, which our error must also be.
FAMILIES = (pickle.UnpicklingError, EOFError, RuntimeError)


def torch_load_error(path):
    """What torch.load(weights_only=True) raises for ``path``, or None."""
    try:
        torch.load(path, weights_only=True)
    except Exception as err:  # whatever torch raises is the point
        return err
    return None


@pytest.mark.slow
def test_fuzz_errors_are_the_exceptions_torch_load_raises(tmp_path, real):
    """Code written for torch.load keeps working: wherever torch.load
    raises a RuntimeError (a corrupt archive), a pickle.UnpicklingError (a
    refused or damaged pickle) or an EOFError (nothing to read), our error is
    also one. Where torch loads a damaged file (a flipped bit that the zip's
    CRC-32 catches and torch does not check), or fails with an incidental
    error of its parser (IndexError, KeyError, UnicodeDecodeError, ...), ours
    is a RuntimeError."""
    corpus = fuzz_corpus(real) + [('refused', saved({'x': SystemCall()}))]
    src = tmp_path / 'src.pth'
    families = {}
    for name, data in corpus:
        write(src, data)
        theirs = torch_load_error(str(src))
        with pytest.raises(CheckpointError) as info:
            load_checkpoint_file(str(src))
        ours = info.value
        family = next((f for f in FAMILIES if isinstance(theirs, f)),
                      RuntimeError)
        assert isinstance(ours, family), \
            f'{name}: {type(ours).__mro__} is not a {family}'
        key = family.__name__ if theirs is None or isinstance(
            theirs, FAMILIES) else 'incidental'
        families[key] = families.get(key, 0) + 1
    assert families['UnpicklingError'] > 300 and \
        families['RuntimeError'] > 500 and families['EOFError'] >= 3
    assert families['incidental'] < 120  # of 1,011 files
    missing = tmp_path / 'none.pth'
    with pytest.raises(FileNotFoundError):
        load_checkpoint_file(str(missing))


@pytest.mark.slow
def test_fuzz_cli_in_a_real_process(tmp_path, real):
    """A few corpus entries through the command line itself: exit status 1,
    one line on stderr, nothing else printed (mmcv-lite warnings included)."""
    import subprocess
    import sys

    from _helpers import REPO_ROOT
    tool = os.path.join(REPO_ROOT, 'tools', 'model_converters',
                        'conformer_to_mmpretrain.py')
    corpus = fuzz_corpus(real, seed=1)
    # one entry of each kind (random bytes, a cut file, a flipped bit): a
    # process spends ~10 s importing mmpretrain, and the in-process fuzz
    # above covers the whole corpus
    picks = [entry for entry in corpus
             if entry[0] in ('random-0', 'zip-cut-50%')] + [corpus[-1]]
    assert len(picks) == 3 and picks[-1][0].startswith('zip-flip-')
    for name, data in picks:
        src = write(tmp_path / 'src.pth', data)
        result = subprocess.run(
            [sys.executable, tool, str(src), str(tmp_path / 'dst.pth')],
            capture_output=True, text=True)
        assert result.returncode == 1, name
        assert result.stdout == ''
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith('error: '), \
            f'{name}: {result.stderr}'
        assert not (tmp_path / 'dst.pth').exists()


def test_legacy_format_bit_flips_are_caught_or_harmless(tmp_path, real):
    """torch's legacy format has no checksums: a flip in its pickle either
    fails with one clear error, or leaves a checkpoint whose keys and shapes
    still fit (then it is not detectable; see docs/en/errors_and_limits.md)."""
    rng = np.random.default_rng(2)
    data = real['legacy']
    storage_bytes = sum(8 + v.untyped_storage().nbytes()
                        for v in official_checkpoint()['model'].values())
    pickle_end = len(data) - storage_bytes
    backbone = ConformerBackbone(arch=TINY_ARCH, base_channels=16,
                                 patch_size=32)
    outcomes = {'error': 0, 'loaded': 0}
    for _ in range(100):
        damaged = bytearray(data)
        damaged[int(rng.integers(0, pickle_end))] ^= 1 << int(
            rng.integers(0, 8))
        path = write(tmp_path / 'legacy.pth', bytes(damaged))
        try:
            load_pretrained(backbone, str(path), prefix='backbone.')
        except CheckpointError as err:
            assert '\n' not in str(err)
            outcomes['error'] += 1
        else:
            outcomes['loaded'] += 1
    assert outcomes['error'] > 50
