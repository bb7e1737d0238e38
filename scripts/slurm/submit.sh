#!/usr/bin/env bash
# Submits a prefbench matrix to Slurm (README, "Slurm"): a job array with one task per shard
# (scripts/slurm/paper.sbatch), then the merge and report (scripts/slurm/merge.sbatch), which
# waits for every task to succeed (afterok) and is dropped if one fails.
#
#   scripts/slurm/submit.sh MATRIX OUT [SHARDS] [-- sbatch options for the array...]
#
# MATRIX: a preset name or a config file; OUT: the output directory; SHARDS: how many array
# tasks (default and at most: `prefbench shards`, one per (dataset, seed, policy) group).
# Prints the array's job id and the merge's.
#
# After a failure, fix its cause and run the same command again: finished runs are skipped,
# so only the missing work is done. (Requeueing the failed task alone does not bring back the
# merge: Slurm keeps an array that had a failed task as failed for every afterok.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: $0 MATRIX OUT [SHARDS] [-- sbatch options...]"
matrix=${1:?$usage}
out=${2:?$usage}
shift 2
max=()
if [ $# -gt 0 ] && [ "$1" != -- ]; then
  max=(--max "$1")
  shift
fi
[ $# -eq 0 ] || { [ "$1" = -- ] && shift; } || { echo "$usage" >&2; exit 2; }
bin=${PREFBENCH:-./target/release/prefbench}
case $matrix in
*.yaml | *.yml | */*) config=("$matrix") ;;
*) config=(--preset "$matrix") ;;
esac
shards=$("$bin" shards "${config[@]}" "${max[@]}")
array=$(sbatch --parsable --array="1-$shards" "$@" "$here/paper.sbatch" "$matrix" "$out")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  "$here/merge.sbatch" "$out")
echo "$array ${merge%%;*}"
