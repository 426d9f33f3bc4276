#!/usr/bin/env bash
# Opens WAVE with SAVE in a headless GTKWave (xvfb-run) and checks that every
# trace the save file names is displayed. Needs gtkwave and xvfb
# (apt-get install gtkwave xvfb xauth).
#   bash waves/tools/gtkw-check.sh run.fst run.gtkw
set -euo pipefail
wave=$1
save=$2
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 120 xvfb-run -a gtkwave -S "$here/gtkw-check.tcl" "$wave" "$save" >"$out" 2>&1
want=$(grep -v '^[[@*-]' "$save" | grep -c .)
got=$(grep -c '^SIG ' "$out" || true)
grep -E '^(DISPLAYED|MARKER|WINDOWSTART) ' "$out"
if ! diff <(grep '^SIG ' "$out" | sed 's/^SIG //' | sort) <(grep -v '^[[@*-]' "$save" | grep . | sort); then
    echo "gtkw-check: GTKWave displays other traces than $save names" >&2
    exit 1
fi
echo "gtkw-check: all $want traces of $save displayed ($got)"
