#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test the project:
# Verilator (Debian's `verilator` package, 5.006), zlib headers for FST, and the
# rustfmt/clippy components. Idempotent: does nothing when all is present.
set -euo pipefail

need_apt=()
command -v verilator >/dev/null 2>&1 || need_apt+=(verilator)
# verilated_fst_c.cpp needs zlib; the model links -lz.
[ -e /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
command -v make >/dev/null 2>&1 || need_apt+=(make)
# ci/modgraph.py (the import-circle lint).
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "ci/install.sh: installing ${need_apt[*]} with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! verilator --version | grep -q '^Verilator 5\.'; then
  echo "ci/install.sh: need Verilator 5.x, found: $(verilator --version)" >&2
  exit 1
fi

if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt >/dev/null 2>&1 || true
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy >/dev/null 2>&1 || true
fi
echo "ci/install.sh: $(verilator --version); $(cargo --version)" >&2
