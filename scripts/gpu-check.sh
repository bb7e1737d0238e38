#!/usr/bin/env bash
# One prepared check of every CUDA path of prefbench, for a GPU node that has only the binary
# and its own PyTorch 2.11 (README, "Three ways to get libtorch", route 3). Writes everything
# into OUTDIR and a summary to OUTDIR/summary.md; finishes in a few minutes on one H100/H200.
#
#   scripts/gpu-check.sh OUTDIR
#
# Environment:
#   PREFBENCH_BIN   the binary (default target/release/prefbench)
#   TORCH_LIB       a torch wheel's lib directory to load libtorch from (default: the python3
#                   on PATH's torch, when it has one; else the binary's own RUNPATH)
#   GOLDEN          the golden objective vectors (default baselines/tests/fixtures/losses-public.json)
#   CPU_THREADS     threads of the CPU side of each comparison (default 2, like the dev machines)
#
# Steps (each logs to OUTDIR/<step>.log; a failing step is reported and the rest still run):
#   env         prefbench env (versions, the libtorch actually loaded, GPUs)
#   golden-f64  loss eval of the golden file on CUDA in float64 (--check)
#   golden-f32  the same in float32
#   step-*      PO step benchmark (DMPO, DynamicPO-DMPO) on CUDA and on CPU: ms/step, ratio,
#               DynamicPO's selection time (synchronised on CUDA), GFLOP/s against one sgemm;
#               step-titles-* the same with stand-in title embeddings (the published regime)
#   run-*       a LastFM-sized synthetic run (DMPO and DynamicPO-DMPO, K = 15, one seed, each
#               run alone) on CUDA and on CPU, metrics side by side, CUDA peak memory
#   overhead-cuda  claim C6 in one process on CUDA (bench overhead): each full DynamicPO method
#               and its base step in turn on identical batches, synchronised wall clock;
#               every repetition in OUTDIR/overhead-cuda.json
#   stack-cuda  stacks of 1, 7, 49 and 245 runs against the runs alone on CUDA (bench po-step
#               --stacks): per-member step time, GFLOP/s against one sgemm, memory per member
#   slice-*     the LastFM slice of `paper` on LastFM-sized synthetic data (its 9 methods x 6 K:
#               49 runs a seed): seed 0 run by run (`off`), then all 5 seeds stacked (`auto`)
#               on CUDA, so the summary sets the stacked wall-clock beside the sequential one
#   cuda-tests  the `cuda-tests` feature's tests, where cargo is available
# Not covered: the text-aware policy (needs the MiniLM weights package, absent on such nodes;
# copy a title-embedding cache along to use it, see README).
set -uo pipefail

OUT=${1:?usage: scripts/gpu-check.sh OUTDIR}
BIN=${PREFBENCH_BIN:-target/release/prefbench}
GOLDEN=${GOLDEN:-baselines/tests/fixtures/losses-public.json}
CPU_THREADS=${CPU_THREADS:-2}
mkdir -p "$OUT"
if [ -z "${TORCH_LIB:-}" ]; then
  TORCH_LIB=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null || true)
fi
if [ -n "$TORCH_LIB" ]; then
  export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export PREFBENCH_CACHE="$OUT/cache"
SUMMARY="$OUT/summary.md"
: >"$SUMMARY"
failed=0

# step NAME COMMAND...: runs COMMAND with its output in OUT/NAME.log and notes how it ended.
step() {
  local name=$1
  shift
  local start=$SECONDS
  "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  printf '%-12s rc=%d  %4d s  %s\n' "$name" "$rc" "$((SECONDS - start))" "$*" | tee -a "$OUT/steps.txt"
  if [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    tail -5 "$OUT/$name.log"
  fi
  return 0
}

cat >"$OUT/lastfm-size.yaml" <<'EOF'
name: lastfm-size
datasets: [synthetic]
methods: [dmpo, dynamicpo-dmpo]
k: [15]
seeds: [0]
synthetic: {items: 4606, users: 6000, clusters: 40, seed: 0}
po: {ensemble: off}
EOF
# The LastFM slice of `paper`: its methods and K on LastFM-sized synthetic data.
slice() {
  cat <<EOF
name: $1
datasets: [synthetic]
methods: [dpo, sdpo, dmpo, mppo, dynamicpo-dmpo, dynamicpo-sdpo, dynamicpo-mppo, dynamicpo-dmpo-select-only, dynamicpo-dmpo-beta-only]
k: [1, 3, 5, 10, 15, 19]
seeds: $2
synthetic: {items: 4606, users: 2000, clusters: 40, seed: 0}
sft: {epochs: 4}
po: {epochs: 3, lr: 0.001, ensemble: $3}
EOF
}
slice slice-stacked "[0, 1, 2, 3, 4]" auto >"$OUT/slice-stacked.yaml"
slice slice-alone "[0]" off >"$OUT/slice-alone.yaml"

step env "$BIN" env
step golden-f64 "$BIN" loss eval "$GOLDEN" --device cuda --dtype f64 --check
step golden-f32 "$BIN" loss eval "$GOLDEN" --device cuda --dtype f32 --check
step step-cuda "$BIN" bench po-step --device cuda --steps 200 --json
step step-cpu "$BIN" bench po-step --device cpu --threads "$CPU_THREADS" --steps 40 --json
step step-titles-cuda "$BIN" bench po-step --device cuda --item-text minilm --steps 200 --json
step step-titles-cpu "$BIN" bench po-step --device cpu --item-text minilm --threads "$CPU_THREADS" --steps 40 --json
step run-cuda "$BIN" run "$OUT/lastfm-size.yaml" --device cuda --out "$OUT/run-cuda"
step run-cpu "$BIN" run "$OUT/lastfm-size.yaml" --device cpu --threads "$CPU_THREADS" --out "$OUT/run-cpu"
step overhead-cuda "$BIN" bench overhead --device cuda --repetitions 300 --out "$OUT/overhead-cuda.json"
step stack-cuda "$BIN" bench po-step --device cuda --steps 50 --rounds 3 --stacks 1,7,49,245 --json
# Seed 0 alone first: it trains the SFT reference that the stacked slice then finds cached.
step slice-alone "$BIN" run "$OUT/slice-alone.yaml" --device cuda --out "$OUT/slice-alone"
step slice-stacked "$BIN" run "$OUT/slice-stacked.yaml" --device cuda --out "$OUT/slice-stacked"
# The CUDA tests need cargo and the crates (a node with network or a vendored registry).
if command -v cargo >/dev/null; then
  step cuda-tests cargo test --release -p prefbench-baselines --features cuda-tests --test integration -- cuda:: objectives_golden::
else
  echo "cuda-tests   skipped: no cargo on this node" | tee -a "$OUT/steps.txt"
fi

# The side-by-side tables, from the JSON the steps wrote (python3 is on every node).
python3 - "$OUT" >>"$SUMMARY" <<'EOF'
import json, os, re, sys
out = sys.argv[1]
def text(name):
    try:
        return open(os.path.join(out, name + ".log")).read()
    except OSError:
        return ""
print("# prefbench GPU check\n")
print("```\n" + text("env").strip() + "\n```\n")
for dtype in ("f64", "f32"):
    line = [l for l in text("golden-" + dtype).splitlines() if "worst error" in l]
    print(f"- golden {dtype} on CUDA: {line[-1].strip() if line else 'FAILED, see golden-' + dtype + '.log'}")
def steps(name):
    try:
        body = text(name)
        return {t["method"]: t for t in json.loads(body[body.index("{"):])["timings"]}
    except (ValueError, KeyError):
        return {}
for regime, suffix in (("item ids", ""), ("titles", "-titles")):
    cuda, cpu = steps("step" + suffix + "-cuda"), steps("step" + suffix + "-cpu")
    print(f"\nPO step, {regime}:\n")
    print("| method | CUDA ms/step | CPU ms/step | CPU / CUDA | CUDA of sgemm | CPU of sgemm | CUDA selection ms/step | CUDA selection share |")
    print("|:--|--:|--:|--:|--:|--:|--:|--:|")
    for m in sorted(set(cuda) | set(cpu)):
        g, c = cuda.get(m, {}), cpu.get(m, {})
        ratio = c["median_step_ms"] / g["median_step_ms"] if g and c else float("nan")
        print(f"| {m} | {g.get('median_step_ms', float('nan')):.3f} | {c.get('median_step_ms', float('nan')):.3f} | {ratio:.1f}x | "
              f"{100 * g.get('of_sgemm', float('nan')):.1f} % | {100 * c.get('of_sgemm', float('nan')):.1f} % | "
              f"{g.get('selection_ms_per_step', float('nan')):.3f} | {100 * g.get('selection_share', float('nan')):.2f} % |")
def records(name):
    try:
        return {r["cell"]["method"]: r for r in map(json.loads, open(os.path.join(out, name, "results.jsonl")))}
    except OSError:
        return {}
gr, cr = records("run-cuda"), records("run-cpu")
print("\n| method | test HR@1 CUDA | test HR@1 CPU | PO s CUDA | PO s CPU | CPU / CUDA | CUDA peak MiB |")
print("|:--|--:|--:|--:|--:|--:|--:|")
for m in sorted(set(gr) | set(cr)):
    g, c = gr.get(m), cr.get(m)
    if not (g and c):
        print(f"| {m} | missing run, see run-cuda.log / run-cpu.log |")
        continue
    peak = g["timings"].get("cuda_peak_mib")
    print(f"| {m} | {g['test']['hr_at_1']:.4f} | {c['test']['hr_at_1']:.4f} | {g['timings']['po_s']:.1f} | "
          f"{c['timings']['po_s']:.1f} | {c['timings']['po_s'] / g['timings']['po_s']:.1f}x | "
          f"{'n/a' if peak is None else f'{peak:.0f}'} |")
try:
    body = text("stack-cuda")
    stacks = json.loads(body[body.index("{"):])["stacks"]
    print(f"\nStacks on CUDA: {stacks['sequential_ms']:.3f} ms a run alone; one 2048^3 sgemm {stacks['sgemm_gflops']:.0f} GFLOP/s")
    print("\n| stack | ms/step per member | speed-up vs alone | GFLOP/s | MiB/member measured | MiB/member budgeted |")
    print("|--:|--:|--:|--:|--:|--:|")
    for r in stacks["rows"]:
        mib = r["measured_mib_per_member"]
        print(f"| {r['members']} | {r['ms_per_member']:.3f} | {r['speedup']:.1f}x | {r['gflops']:.1f} | "
              f"{'n/a' if mib is None else f'{mib:.1f}'} | {r['budgeted_mib_per_member']:.1f} |")
except (ValueError, KeyError, TypeError):
    print("\nStacks on CUDA: FAILED, see stack-cuda.log")
table = [l for l in text("overhead-cuda").splitlines() if l.startswith(("|", "C6", "DynamicPO against"))]
print("\nC6 in one process on CUDA:\n\n" + "\n".join(table) if table else "\nC6 in one process on CUDA: FAILED, see overhead-cuda.log")
def slice_runs(name):
    try:
        return [json.loads(l) for l in open(os.path.join(out, name, "results.jsonl"))]
    except OSError:
        return []
walls = {}
try:
    walls = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(slice-[a-z]+)\s+rc=0\s+(\d+) s", open(os.path.join(out, "steps.txt")).read(), re.M)}
except OSError:
    pass
alone, stacked = slice_runs("slice-alone"), slice_runs("slice-stacked")
if alone and stacked:
    seconds = lambda rs: sum(r["timings"]["po_s"] + r["timings"]["eval_s"] for r in rs)
    per_run = seconds(alone) / len(alone)
    print(f"\nPaper's LastFM slice: {len(stacked)} runs stacked in {walls.get('slice-stacked', 'n/a')} s wall "
          f"(SFT cached for seed 0 only; PO + evaluation {seconds(stacked):.0f} s by the records); run by run "
          f"{per_run:.1f} s a run (seed 0, {len(alone)} runs), so {len(stacked) * per_run:.0f} s for the slice.")
    hr = {(r["cell"]["method"], r["cell"]["k"]): r["test"]["hr_at_1"] for r in alone}
    diffs = [abs(r["test"]["hr_at_1"] - hr[(r["cell"]["method"], r["cell"]["k"])]) for r in stacked
             if r["seed"] == 0 and (r["cell"]["method"], r["cell"]["k"]) in hr]
    if diffs:
        print(f"Seed 0 stacked against alone: largest test HR@1 difference {max(diffs):.4f} over {len(diffs)} runs.")
else:
    print("\nPaper's LastFM slice: FAILED, see slice-alone.log / slice-stacked.log")
print("\nNot covered: the text-aware policy (no MiniLM package on the node).")
EOF
cat "$OUT/steps.txt" >>"$SUMMARY"
cat "$SUMMARY"
echo "$failed step(s) failed"
exit "$failed"
