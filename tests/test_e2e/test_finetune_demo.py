"""tools/run_finetune_demo.py (make demo-finetune) refuses to start without
the demo's checkpoint; its figures are checked in test_demo.py."""
import os.path as osp
import subprocess
import sys

from _helpers import REPO_ROOT
from _training import TOOLS

TOOL = osp.join(TOOLS, 'run_finetune_demo.py')


def test_needs_the_demo_checkpoint(tmp_path):
    result = subprocess.run(
        [sys.executable, TOOL, '--checkpoint', str(tmp_path / 'none.pth')],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'error: {tmp_path / "none.pth"} not found: run `make demo` first '
        '(or pass --checkpoint)')
