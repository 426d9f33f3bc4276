#!/usr/bin/env bash
# Lints everything CI lints: rustfmt, clippy (warnings are errors), Verilator's
# -Wall lint over the NIC RTL, and the generated register files being current.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== no import circles between the modules of a crate (ci/modgraph.py)"
for src in */src; do
  python3 ci/modgraph.py "$src"
done

echo "== register map: generated files up to date"
cargo run -q -p regmap --bin regmap-gen -- --check

echo "== verilator --lint-only -Wall (rtl/hdl, top nic_top)"
verilator --lint-only -Wall --assert -Irtl/hdl --top-module nic_top \
  rtl/hdl/nic_regs_pkg.sv $(ls rtl/hdl/*.sv | grep -v nic_regs_pkg.sv)
echo "lint: clean"
