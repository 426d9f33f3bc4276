#!/usr/bin/env bash
# The main demo (the README's quick start): installs what is missing, builds
# the cosim command in release mode and runs `cosim demo`. Extra arguments go
# to `cosim demo` (e.g. `bash ci/demo.sh --frames 2000 --seed 7 --waves demo.fst`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
exec cargo run --release -q -p cosim-cli --bin cosim -- demo "$@"
