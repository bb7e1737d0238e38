#!/usr/bin/env python3
"""Recomputes every primary endpoint of a prefbench report from its results.jsonl alone and
checks it against report.json (issue 31: "a recomputation of every primary from results.jsonl
by an independent script, not the report's code, agrees").

Independent of the Rust code: the definitions are re-read from docs/claims.md ("Pre-registered
analysis") and written here again, the Student t distribution comes from the regularised
incomplete beta function (continued fraction, Numerical Recipes 6.4) rather than statrs, and
nothing is imported beyond the standard library.

Usage: scripts/recompute_endpoints.py DIR   (exit 0: every primary agrees; 1: a difference)
"""
import json
import math
import sys

DATASETS = ["lastfm-dated", "movielens-loo"]
ALPHA = 0.05
MIN_SEEDS = 5
K = 15
# id: (variant, base, measure, paper relative lift on LastFM, smallest over the paper's datasets)
PRIMARIES = {
    "P-C3": ("dynamicpo-dmpo", "dmpo", "hr1", 0.1390, 0.0951),
    "P-C4m": ("dynamicpo-mppo", "mppo", "hr1", 0.0468, 0.0333),
    "P-C4s": ("dynamicpo-sdpo", "sdpo", "hr1", 0.0074, 0.0072),
    "P-C7": ("dynamicpo-dmpo", "dmpo", "win", None, None),
}


def betacf(a, b, x):
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > 1e-300 else 1e-300)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > 1e-300 else 1e-300
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betai(a, b, x):
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t, df):
    return betai(df / 2.0, 0.5, df / (df + t * t))


def t_quantile(q, df):
    """The q quantile (q > 0.5) of Student's t by bisection on the two-sided tail."""
    lo, hi = 0.0, 1000.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1 - t_two_sided_p(mid, df) / 2 < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def holm(ps):
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, running = [None] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = running
    return out


def win_rate(r):
    curve = r["curve"]
    return sum(p["reward_win_rate"] for p in curve) / len(curve) if curve else None


def outcome(effect, p_adj, rel_ci, paper, untrained):
    if untrained:
        return "baseline_does_not_train"
    if p_adj is None:
        return "underpowered"
    reaches = None if paper is None or rel_ci is None else rel_ci[1] >= paper
    if p_adj < ALPHA:
        if effect <= 0:
            return "opposite"
        return "smaller_than_claimed" if reaches is False else "reproduced"
    return "ruled_out" if reaches is False else "underpowered"


def main(directory):
    records = [json.loads(l) for l in open(f"{directory}/results.jsonl") if l.strip()]
    report = json.load(open(f"{directory}/report.json"))
    rows = [r for r in (report.get("endpoints") or {}).get("rows", []) if r["primary"] and r["test"]]
    if (report.get("endpoints") or {}).get("pipeline_check"):
        print("pipeline check: nothing to recompute")
        return 0
    computed = {}
    for dataset in DATASETS:
        for protocol in ["tuned", "paper"]:
            runs = [
                r for r in records
                if r["cell"]["dataset"] == dataset
                and r["spec"]["model"].get("architecture", "transformer") == "transformer"
                and r["spec"]["model"].get("item_text", "none") == "minilm"
                and r["spec"].get("protocol", "paper") == protocol
            ]
            for pid, (variant, base, measure, lastfm, smallest) in PRIMARIES.items():
                def by_seed(method):
                    return {r["seed"]: r for r in runs if r["cell"]["method"] == method and r["cell"]["k"] == K}
                v, b = by_seed(variant), by_seed(base)
                seeds = sorted(set(v) & set(b))
                if not seeds:
                    continue
                value = (lambda r: r["test"]["hr_at_1"]) if measure == "hr1" else win_rate
                diffs = [value(v[s]) - value(b[s]) for s in seeds]
                n = len(diffs)
                mean = sum(diffs) / n
                sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
                base_mean = sum(value(b[s]) for s in seeds) / n
                se = sd / math.sqrt(n)
                p = t_two_sided_p(mean / se, n - 1) if se > 0 else (0.0 if mean != 0 else None)
                half = t_quantile(0.975, n - 1) * se
                rel_ci = ((mean - half) / base_mean, (mean + half) / base_mean)
                paper = None if lastfm is None else (lastfm if dataset.startswith("lastfm") else smallest)
                base_runs = list(b.values())
                untrained = protocol == "tuned" and (
                    sum(r["test"]["hr_at_1"] for r in base_runs) / len(base_runs)
                    < sum(r["sft"]["test"]["hr_at_1"] for r in base_runs) / len(base_runs)
                )
                computed[(pid, dataset, protocol)] = dict(
                    n=n, effect=mean, ci=(mean - half, mean + half), p=p, base_mean=base_mean,
                    rel_ci=rel_ci, paper=paper, untrained=untrained,
                )
    for protocol in ["tuned", "paper"]:
        keys = [k for k in computed if k[2] == protocol and computed[k]["n"] >= MIN_SEEDS and computed[k]["p"] is not None]
        for key, adjusted in zip(keys, holm([computed[k]["p"] for k in keys])):
            computed[key]["p_adj"] = adjusted
    failures = 0
    for row in rows:
        key = (row["id"], row["dataset"], row["protocol"])
        mine, test = computed.get(key), row["test"]
        if mine is None:
            print(f"{key}: in report.json but not recomputable from the records")
            failures += 1
            continue
        sel = test["at_selected"]
        p_adj = mine.get("p_adj")
        expected = outcome(mine["effect"], p_adj, mine["rel_ci"], mine["paper"], mine["untrained"])
        checks = [
            ("n", test["n"], mine["n"]),
            ("effect", sel["effect"], mine["effect"]),
            ("t_ci95[0]", sel["t_ci95"][0], mine["ci"][0]),
            ("t_ci95[1]", sel["t_ci95"][1], mine["ci"][1]),
            ("p", sel["p"], mine["p"]),
            ("p_adjusted", sel["p_adjusted"], p_adj),
            ("relative_lift", test["relative_lift"], mine["effect"] / mine["base_mean"]),
            ("outcome", row["outcome"], expected),
        ]
        for name, got, want in checks:
            same = got == want if isinstance(want, (str, type(None))) or isinstance(got, (str, type(None))) else abs(got - want) <= 1e-9 * max(1.0, abs(want))
            if not same:
                print(f"{key} {name}: report.json {got}, recomputed {want}")
                failures += 1
    print(f"{len(rows)} primary rows recomputed from {len(records)} records; {failures} difference(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "published"))
