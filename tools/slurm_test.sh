#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# tools/slurm_train.sh's job (same variables), running tools/test.py.
MMCONFORMER_TOOL=test.py exec bash "$(dirname "$0")/slurm_train.sh" "$@"
