#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# tools/dist_train.sh's launch (same variables), running tools/test.py.
MMCONFORMER_TOOL=test.py exec bash "$(dirname "$0")/dist_train.sh" \
    "$1" "$3" "$2" "${@:4}"
