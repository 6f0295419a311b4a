"""mmconformer.utils.atomic_write: a temporary file, fsync, rename, fsync the
folder; modes as a plain open() gives them; leftovers of a killed process
removed."""
import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from _helpers import unmount

from mmconformer.utils import atomic
from mmconformer.utils.atomic import (TEMP_SUFFIX, atomic_write,
                                      remove_stale_temporaries)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_binary_and_text(tmp_path):
    with atomic_write(str(tmp_path / 'sub' / 'a.bin')) as f:
        f.write(b'\x00\x01')
    with atomic_write(str(tmp_path / 'b.txt'), 'w') as f:
        f.write('héllo')
    assert (tmp_path / 'sub' / 'a.bin').read_bytes() == b'\x00\x01'
    assert (tmp_path / 'b.txt').read_text(encoding='utf-8') == 'héllo'


def test_refuses_other_modes(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', got 'a'"):
        with atomic_write(str(tmp_path / 'x'), 'a'):
            pass


@pytest.mark.parametrize('umask', [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_mode_open_gives(tmp_path, umask):
    old = os.umask(umask)
    try:
        with open(tmp_path / 'plain', 'w') as f:
            f.write('x')
        with atomic_write(str(tmp_path / 'atomic'), 'w') as f:
            f.write('x')
    finally:
        os.umask(old)
    assert mode_of(tmp_path / 'atomic') == mode_of(tmp_path / 'plain') == \
        0o666 & ~umask


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / 'out.json'
    path.write_text('old')
    os.chmod(path, 0o640)
    with atomic_write(str(path), 'w') as f:
        f.write('new')
    assert path.read_text() == 'new' and mode_of(path) == 0o640


def test_the_file_and_its_folder_are_fsynced_after_the_rename(
        tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        info = os.fstat(fd)
        synced.append(('folder' if stat.S_ISDIR(info.st_mode) else 'file',
                       os.path.exists(tmp_path / 'out.bin')))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, 'fsync', fsync)
    with atomic_write(str(tmp_path / 'out.bin')) as f:
        f.write(b'data')
    # the file before the rename (the target does not exist yet), then the
    # folder after it
    assert synced == [('file', False), ('folder', True)]


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'out.txt'
    path.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_write(str(path), 'w') as f:
            f.write('half')
            raise RuntimeError('failed mid-write')
    assert path.read_text() == 'old'
    assert os.listdir(tmp_path) == ['out.txt']


def test_temporary_names_are_hidden_and_never_outputs(tmp_path):
    seen = []
    with atomic_write(str(tmp_path / 'epoch_1.pth')) as f:
        seen = os.listdir(tmp_path)
        f.write(b'x')
    (name, ) = seen
    assert name.startswith('.epoch_1.pth.') and name.endswith(TEMP_SUFFIX)
    assert not name.endswith(('.pth', '.json', '.png', '.onnx', '.tmp'))


def test_a_killed_writer_leaves_the_old_file_and_the_next_write_cleans_up(
        tmp_path):
    """A real SIGKILL in the middle of a write."""
    path = tmp_path / 'model.onnx'
    path.write_bytes(b'old content')
    script = textwrap.dedent(f"""
        import os, signal
        from mmconformer.utils.atomic import atomic_write
        with atomic_write({str(path)!r}) as f:
            f.write(b'half of the new')
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, '-c', script])
    assert result.returncode == -signal.SIGKILL
    assert path.read_bytes() == b'old content'
    (leftover, ) = [p for p in os.listdir(tmp_path) if p != 'model.onnx']
    assert leftover.endswith(TEMP_SUFFIX)
    with atomic_write(str(path)) as f:
        f.write(b'new')
    assert os.listdir(tmp_path) == ['model.onnx']
    assert path.read_bytes() == b'new'


def test_cleanup_spares_the_temporaries_of_running_writers(tmp_path):
    dead = tmp_path / f'.a.json.{2**22 + 12345}.0123456789ab{TEMP_SUFFIX}'
    alive = tmp_path / f'.a.json.{os.getpid()}.0123456789ab{TEMP_SUFFIX}'
    other = tmp_path / '.a.json.not-ours.tmp'
    for path in (dead, alive, other):
        path.write_text('x')
    assert remove_stale_temporaries(str(tmp_path)) == [str(dead)]
    assert sorted(os.listdir(tmp_path)) == sorted([alive.name, other.name])


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KiB tmpfs, where the machine lets us mount one (as root)."""
    mount = tmp_path / 'small'
    mount.mkdir()
    result = subprocess.run(
        ['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', str(mount)],
        capture_output=True)
    if result.returncode:
        pytest.skip('cannot mount a tmpfs here (needs root and mount '
                    'permission); the failed write is simulated in '
                    'test_an_error_leaves_the_old_file_and_no_temporary')
    try:
        yield mount
    finally:
        unmount(mount)


def test_a_real_full_disk_keeps_the_old_file(full_disk):
    path = full_disk / 'out.bin'
    path.write_bytes(b'old' * 1000)
    with pytest.raises(OSError) as info:
        with atomic_write(str(path)) as f:
            f.write(os.urandom(512 * 1024))
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == b'old' * 1000
    assert os.listdir(full_disk) == ['out.bin']
