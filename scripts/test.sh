#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every test
# (unit, operator harness, broker + MiniCluster ITCases, the demo end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# ND4J's OpenMP threads must wait passively, or they fight OpenBLAS for the cores, and
# OpenBLAS's threads sleep between GEMMs instead of spinning (as the jar sets both).
export OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
# Deployment files are checked too: nothing applies them here.
yamllint -s -c k8s/.yamllint k8s
mvn -B -ntp verify "$@"
# A short chaos run on the jar just built: two kill -9s, a broker restart, garbage bursts.
bash scripts/chaos.sh --kills 2 --minutes 1 --broker-restarts 1
