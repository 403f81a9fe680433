#!/usr/bin/env bash
# Runs every stage's speed benchmark (`synapt speed <stage>`) and keeps the JSON each prints.
# Each benchmark measures ours and the bare baseline in one run and prints their ratio, so the
# numbers hold on a loaded machine too; none of them passes or fails on an absolute time.
set -euo pipefail
cd "$(dirname "$0")/.."
SYNAPT=${SYNAPT:-.venv/bin/synapt}
out=benchmarks/results
mkdir -p "$out"
for stage in generate data models train; do
  echo "== synapt speed $stage"
  "$SYNAPT" speed "$stage" --json | tee "$out/$stage.json"
done
