"""``make test`` runs pytest-xdist workers, each on its share of the
threads (tests/_xdist_threads.py)."""
import os
import subprocess
import sys

from _helpers import REPO_ROOT
from _xdist_threads import threads_per_worker


def test_threads_per_worker():
    assert threads_per_worker(2, '2') == 1
    assert threads_per_worker(16, '4') == 4
    assert threads_per_worker(2, '4') == 1  # never 0
    assert threads_per_worker(8, None) is None


def test_each_worker_runs_on_its_share(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='4', MKL_NUM_THREADS='4',
               PYTHONPATH=os.path.join(REPO_ROOT, 'tests'))
    # what torch makes of 4 threads here (it caps them at the cores)
    threads = int(subprocess.run(
        [sys.executable, '-c', 'import torch; print(torch.get_num_threads())'],
        capture_output=True, text=True, env=env, check=True).stdout)
    share = max(1, threads // 2)
    probe = tmp_path / 'test_probe.py'
    probe.write_text(
        'import os\nimport torch\n\n\n'
        'def test_share():\n'
        f'    assert torch.get_num_threads() == {share}\n'
        f"    assert os.environ['OMP_NUM_THREADS'] == '{share}'\n")
    result = subprocess.run(
        [sys.executable, '-m', 'pytest', '-n', '2', '-p', '_xdist_threads',
         '-p', 'no:cacheprovider', '-q', str(probe)],
        capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert '1 passed' in result.stdout


def test_make_test_runs_the_workers_a_module_at_a_time():
    result = subprocess.run(['make', '-s', '-n', 'test', 'TEST_WORKERS=3'],
                            capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert '-m pytest tests -n 3 --dist loadfile' in result.stdout
