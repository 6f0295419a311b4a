#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# torchrun on this node; NNODES, NODE_RANK, MASTER_ADDR and PORT join nodes.
# tools/dist_test.sh runs tools/test.py through it (MMCONFORMER_TOOL).
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
torchrun --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS --master_port=$PORT \
    "$(dirname "$0")/${MMCONFORMER_TOOL:-train.py}" "$CONFIG" --launcher pytorch "${@:3}"
