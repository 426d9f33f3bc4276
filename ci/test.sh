#!/usr/bin/env bash
# The project's test command (the README's quick start): installs what is
# missing, then runs every test of the workspace. Extra arguments go to
# `cargo test` (e.g. `bash ci/test.sh -p pool`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
# Waveforms of failing tests land here (CI keeps them as artifacts).
export COSIM_FAIL_WAVES_DIR="${COSIM_FAIL_WAVES_DIR:-$PWD/target/failed-waves}"
cargo test --workspace "$@"
