"""tools/dist_train.sh and dist_test.sh hand torchrun the right command
(a stand-in torchrun on PATH prints what it was given)."""
import os
import os.path as osp
import subprocess

import pytest
from _helpers import REPO_ROOT

TOOLS = osp.join(REPO_ROOT, 'tools')


@pytest.fixture
def torchrun_that_prints(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'torchrun'
    fake.write_text('#!/usr/bin/env bash\necho "$@"\n')
    fake.chmod(0o755)
    return dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
                NNODES='2', NODE_RANK='1', PORT='29999')


def launch(script, env, *args):
    return subprocess.run(['bash', osp.join(TOOLS, script), *args], env=env,
                          capture_output=True, text=True, check=True).stdout


def test_dist_train_runs_train_py_on_this_node(torchrun_that_prints):
    out = launch('dist_train.sh', torchrun_that_prints, 'cfg.py', '4',
                 '--amp')
    assert out.startswith('--nnodes=2 --node_rank=1 --master_addr=127.0.0.1 '
                          '--nproc_per_node=4 --master_port=29999 ')
    assert out.rstrip().endswith('/train.py cfg.py --launcher pytorch --amp')


def test_dist_test_runs_test_py_with_its_checkpoint(torchrun_that_prints):
    out = launch('dist_test.sh', torchrun_that_prints, 'cfg.py', 'ck.pth',
                 '3', '--tta')
    assert '--nproc_per_node=3 ' in out
    assert out.rstrip().endswith(
        '/test.py cfg.py --launcher pytorch ck.pth --tta')
