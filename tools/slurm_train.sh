#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# One task per GPU across the nodes slurm gives; each task runs tools/train.py
# with --launcher slurm (tools/slurm_test.sh runs tools/test.py through it,
# with a CHECKPOINT in place of WORK_DIR). On nodes without GPUs, set GPUS to the number of
# processes and GPUS_PER_NODE=0 (no --gres); the config's PortableRunner then
# starts gloo itself.
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
TOOL=${MMCONFORMER_TOOL:-train.py}
# train.py takes the work dir as an option, test.py the checkpoint as is
if [ "$TOOL" = train.py ]; then TOOL_ARGS="--work-dir=$4"; else TOOL_ARGS=$4; fi
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY_ARGS=${@:5}
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES="--gres=gpu:${GPUS_PER_NODE} --ntasks-per-node=${GPUS_PER_NODE}"
else
    GRES=""
fi

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    ${GRES} \
    --ntasks=${GPUS} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/${TOOL}" ${CONFIG} ${TOOL_ARGS} --launcher="slurm" ${PY_ARGS}
