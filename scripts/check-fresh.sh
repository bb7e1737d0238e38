#!/usr/bin/env bash
# Fails when a cargo command that has just run would compile anything again with nothing
# changed: cargo marks a package dirty when its build script names an input that does not
# exist (harness once borrowed baselines/build.rs with relative paths), and every later call
# then rebuilt `prefbench`. `make test` runs this after its tests, with the tests' own command.
#
# Usage: scripts/check-fresh.sh CARGO_ARGS...   e.g. scripts/check-fresh.sh test --release --workspace --no-run
set -euo pipefail
log=$(${CARGO:-cargo} "$@" -v 2>&1) || { echo "$log"; exit 1; }
rebuilt=$(grep -E '^\s*(Compiling|Dirty)' <<<"$log" || true)
if [ -n "$rebuilt" ]; then
  echo "error: \`cargo $*\` rebuilt with nothing changed:" >&2
  echo "$rebuilt" >&2
  exit 1
fi
echo "no rebuild: every package of \`cargo $*\` is fresh"
