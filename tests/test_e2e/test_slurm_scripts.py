"""tools/slurm_train.sh and slurm_test.sh, through stand-ins for slurm's
`srun` (one task: it sets the SLURM_* variables and runs the command) and
`scontrol` (names the first node): the scripts' arguments, and the runner's
CPU start-up with --launcher slurm."""
import os
import os.path as osp
import sys

import pytest
from _training import DEMO, TOOLS, data_options, make_shapes, run

FAKE_SRUN = '''#!/usr/bin/env bash
echo "$@" >> "{log}"
while [ "$1" != python ]; do shift; done
SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST=node0 exec "$@"
'''
FAKE_SCONTROL = '''#!/usr/bin/env bash
[ "$1 $2 $3" = "show hostnames node0" ] && echo 127.0.0.1
'''


@pytest.mark.slow
def test_slurm_train_then_test_on_cpu(tmp_path):
    data = make_shapes(tmp_path / 'shapes', train=4, val=1)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun_log = tmp_path / 'srun.log'
    for name, text in (('srun', FAKE_SRUN.format(log=srun_log)),
                       ('scontrol', FAKE_SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(GPUS='1', GPUS_PER_NODE='0', MASTER_PORT='29561',
               PATH=os.pathsep.join([str(bin_dir),
                                     osp.dirname(sys.executable),
                                     os.environ['PATH']]))
    work = tmp_path / 'work'
    log = run(['bash', osp.join(TOOLS, 'slurm_train.sh'), 'cpu', 'conformer',
               DEMO, str(work), '--cfg-options', *data_options(data),
               'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
               'default_hooks.checkpoint.interval=1'], env=env)
    # CPU path forced on any machine: run() hides CUDA (_training.CPU_ONLY)
    assert 'Distributed: world size 1, rank 0, backend gloo' in log
    assert 'Epoch(train) [1]' in log and (work / 'epoch_1.pth').is_file()
    log = run(['bash', osp.join(TOOLS, 'slurm_test.sh'), 'cpu', 'conformer',
               DEMO, str(work / 'epoch_1.pth'), '--work-dir',
               str(work / 'test'), '--cfg-options', *data_options(data)],
              env=env)
    assert 'accuracy/top1' in log
    calls = srun_log.read_text().splitlines()
    assert len(calls) == 2
    for call, tool in zip(calls, ('train.py', 'test.py')):
        assert call.startswith('-p cpu --job-name=conformer --ntasks=1 '
                               '--cpus-per-task=5 --kill-on-bad-exit=1')
        assert '--gres' not in call  # GPUS_PER_NODE=0: CPU nodes
        assert f'tools/{tool} {DEMO}' in call
        assert '--launcher=slurm' in call
