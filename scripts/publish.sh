#!/usr/bin/env bash
# Reproduces published/ (README, "Findings"): the paper protocol on both LastFM variants
# (preset `lastfm-paper`, 490 PO runs) and C5's other backbones, the item-ids policy
# (`lastfm-paper-ids`, 20 PO runs) and a GRU (`lastfm-paper-gru`, 20 PO runs), one libtorch
# thread per run as published, merged into one store and reported.
# Dataset files are never copied: only records, configs, environment, cards and the report.
#
# Usage: scripts/publish.sh HETREC_DIR [WORK_DIR] [OUT_DIR]
#   HETREC_DIR  the extracted hetrec2011-lastfm-2k members (artists.dat, user_taggedartists.dat)
#   WORK_DIR    where the runs write (default prefbench-out/publish); an interrupted run resumes
#   OUT_DIR     the published directory (default published)
set -euo pipefail
cd "$(dirname "$0")/.."
from=${1:?usage: scripts/publish.sh HETREC_DIR [WORK_DIR] [OUT_DIR]}
work=${2:-prefbench-out/publish}
out=${3:-published}
bin=${PREFBENCH:-./target/release/prefbench}
[ -n "${PREFBENCH:-}" ] || make build
# Resume from the published store: records already in OUT_DIR are not trained again.
for preset in lastfm-paper lastfm-paper-ids lastfm-paper-gru; do
  if [ -s "$out/results.jsonl" ] && [ ! -s "$work/$preset/results.jsonl" ]; then
    "$bin" results merge "$out" -o "$work/$preset"
  fi
done
"$bin" run --preset lastfm-paper --jobs 2 --threads 1 --from "$from" --out "$work/lastfm-paper"
"$bin" run --preset lastfm-paper-ids --jobs 1 --threads 1 --from "$from" --out "$work/lastfm-paper-ids"
"$bin" run --preset lastfm-paper-gru --jobs 2 --threads 1 --from "$from" --out "$work/lastfm-paper-gru"
staging="$out.new"
rm -rf "$staging"
mkdir -p "$staging"
"$bin" results merge "$work/lastfm-paper" "$work/lastfm-paper-ids" "$work/lastfm-paper-gru" -o "$staging"
cp "$work/lastfm-paper/config.yaml" "$staging/config.yaml"
cp "$work/lastfm-paper-ids/config.yaml" "$staging/config-ids.yaml"
cp "$work/lastfm-paper-gru/config.yaml" "$staging/config-gru.yaml"
cp "$work/lastfm-paper/env.json" "$staging/env.json"
cat "$work"/lastfm-paper*/failures.jsonl > "$staging/failures.jsonl" 2>/dev/null || true
[ -s "$staging/failures.jsonl" ] || rm -f "$staging/failures.jsonl"
for card in "$work"/lastfm-paper/datasets/*/card.json; do
  name=$(basename "$(dirname "$card")")
  mkdir -p "$staging/datasets/$name"
  cp "$card" "$staging/datasets/$name/card.json"
done
"$bin" report "$staging"
rm -rf "$out"
mv "$staging" "$out"
echo "published: $out/report.md"
