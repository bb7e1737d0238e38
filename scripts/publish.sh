#!/usr/bin/env bash
# Reproduces published/ (README, "Findings"): the paper protocol on both LastFM variants
# (preset `lastfm-paper`, 490 PO runs), C5's other backbones, the item-ids policy
# (`lastfm-paper-ids`, 20 PO runs) and a GRU (`lastfm-paper-gru`, 20 PO runs), the second
# dataset, MovieLens-100K leave-one-out (`movielens-paper`, 85 PO runs), and the tuned protocol
# on `lastfm-dated` and `movielens-loo` (grids `tune-*`, 240 PO runs each; evaluations
# `tuned-*`, 50 PO runs each), one libtorch thread per run as published, merged into one store
# and reported.
# Dataset files are never copied: only records, configs, environment, cards and the report.
#
# Usage: scripts/publish.sh HETREC_DIR ML100K_DIR [WORK_DIR] [OUT_DIR]
#   HETREC_DIR  the extracted hetrec2011-lastfm-2k members (artists.dat, user_taggedartists.dat)
#   ML100K_DIR  the extracted ml-100k members (u.data, u.item; checked against their pins)
#   WORK_DIR    where the runs write (default prefbench-out/publish); an interrupted run resumes
#   OUT_DIR     the published directory (default published)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/publish.sh HETREC_DIR ML100K_DIR [WORK_DIR] [OUT_DIR]"
from=${1:?$usage}
movielens=${2:?$usage}
work=${3:-prefbench-out/publish}
out=${4:-published}
bin=${PREFBENCH:-./target/release/prefbench}
[ -n "${PREFBENCH:-}" ] || make build
# Resume from the published store: records already in OUT_DIR are not trained again.
presets="lastfm-paper lastfm-paper-ids lastfm-paper-gru movielens-paper tuned-lastfm-dated tuned-movielens"
for preset in $presets; do
  if [ -s "$out/results.jsonl" ] && [ ! -s "$work/$preset/results.jsonl" ]; then
    "$bin" results merge "$out" -o "$work/$preset"
  fi
done
"$bin" run --preset lastfm-paper --jobs 2 --threads 1 --from "$from" --out "$work/lastfm-paper"
"$bin" run --preset lastfm-paper-ids --jobs 1 --threads 1 --from "$from" --out "$work/lastfm-paper-ids"
"$bin" run --preset lastfm-paper-gru --jobs 2 --threads 1 --from "$from" --out "$work/lastfm-paper-gru"
"$bin" run --preset movielens-paper --jobs 2 --threads 1 --from "$movielens" --out "$work/movielens-paper"
# The tuned protocol: the grid (resumed from the published tuning records), then the evaluation.
tunings="tune-lastfm-dated tune-movielens"
for tuning in $tunings; do
  if [ -s "$out/tuning/$tuning/results.jsonl" ] && [ ! -s "$work/$tuning/results.jsonl" ]; then
    "$bin" results merge "$out/tuning/$tuning" -o "$work/$tuning"
  fi
done
"$bin" tune --preset tune-lastfm-dated --jobs 2 --threads 1 --from "$from" --out "$work/tune-lastfm-dated"
"$bin" run --preset tuned-lastfm-dated --jobs 2 --threads 1 --from "$from" --out "$work/tuned-lastfm-dated"
"$bin" tune --preset tune-movielens --jobs 2 --threads 1 --from "$movielens" --out "$work/tune-movielens"
"$bin" run --preset tuned-movielens --jobs 2 --threads 1 --from "$movielens" --out "$work/tuned-movielens"
staging="$out.new"
rm -rf "$staging"
mkdir -p "$staging"
"$bin" results merge "$work/lastfm-paper" "$work/lastfm-paper-ids" "$work/lastfm-paper-gru" \
  "$work/movielens-paper" "$work/tuned-lastfm-dated" "$work/tuned-movielens" -o "$staging"
cp "$work/lastfm-paper/config.yaml" "$staging/config.yaml"
cp "$work/lastfm-paper-ids/config.yaml" "$staging/config-ids.yaml"
cp "$work/lastfm-paper-gru/config.yaml" "$staging/config-gru.yaml"
cp "$work/movielens-paper/config.yaml" "$staging/config-movielens.yaml"
cp "$work/tuned-lastfm-dated/config.yaml" "$staging/config-tuned-lastfm-dated.yaml"
cp "$work/tuned-movielens/config.yaml" "$staging/config-tuned-movielens.yaml"
for tuning in $tunings; do
  mkdir -p "$staging/tuning/$tuning"
  for file in config.yaml results.jsonl tune.md tuned.yaml; do
    cp "$work/$tuning/$file" "$staging/tuning/$tuning/$file"
  done
done
cp "$work/lastfm-paper/env.json" "$staging/env.json"
cat "$work"/*-paper*/failures.jsonl "$work"/tuned-*/failures.jsonl > "$staging/failures.jsonl" 2>/dev/null || true
[ -s "$staging/failures.jsonl" ] || rm -f "$staging/failures.jsonl"
for card in "$work"/lastfm-paper/datasets/*/card.json "$work"/movielens-paper/datasets/*/card.json; do
  name=$(basename "$(dirname "$card")")
  mkdir -p "$staging/datasets/$name"
  cp "$card" "$staging/datasets/$name/card.json"
done
# C6 in one process (docs/claims.md): base and DynamicPO steps alternated on identical batches,
# CPU time; the report's C6 reads it. Kept from an earlier publication when one is there, since
# it measures the build, not the matrix.
if [ -f "$out/overhead.json" ]; then
  cp "$out/overhead.json" "$staging/overhead.json"
else
  "$bin" bench overhead --threads 1 --repetitions 300 --out "$staging/overhead.json"
fi
"$bin" report "$staging"
rm -rf "$out"
mv "$staging" "$out"
echo "published: $out/report.md"
