#!/usr/bin/env bash
# The seeded-bug corpus (tests/bugs/*.patch): applies each bug in one scratch
# worktree of HEAD outside the repository, builds the release CLI, runs
# `cosim matrix` and reports whether the run caught it (docs/VERIFICATION.md).
#   bash ci/bugs.sh [--list] [--only NNN,...] [--write-docs] [--timeout S]
# Exit 0 only when every selected bug is caught. Honours COSIM_VERILATOR_CACHE,
# CARGO_TARGET_DIR (default: a target directory inside the scratch directory)
# and COSIM_BUGS_SCRATCH (default: a directory under $TMPDIR per checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 ci/bugs.py "$@"
