#!/usr/bin/env python3
"""Prints the README's "Findings" tables from a report.json (default published/report.json).

First the pre-registered primary endpoints (docs/claims.md): one row per endpoint, dataset and
protocol with Δ [95 % t CI], the relative lift beside the paper's, the Holm p and the outcome,
and the outcome at the last epoch. Then the per-claim verdict table: one row per claim and
policy with at least one testable dataset, one column per real dataset (both LastFM variants
and MovieLens-100K leave-one-out) and protocol (the paper's; the tuned one where it ran, after
the paper's column of that dataset); paired comparisons condensed to "base→variant, Δ [t 95 %],
Holm p, n". The report itself (report.md) carries the full evidence, power and minimum
detectable effects.
"""
import json
import re
import sys

DATASETS = [("lastfm-raw", "`lastfm-raw` (id order)"), ("lastfm-dated", "`lastfm-dated` (date order)"),
            ("movielens-loo", "`movielens-loo` (time order)")]
PROTOCOL = re.compile(r" \[(\w+) protocol\]$")


def column(label):
    """(dataset, protocol) of an evidence's dataset label: "lastfm-dated [tuned protocol]"
    is ("lastfm-dated", "tuned"); a label without a protocol is the paper's."""
    m = PROTOCOL.search(label)
    return (label[:m.start()], m[1]) if m else (label, "paper")


def columns(report):
    """The table's columns: each real dataset under the paper's protocol, then under every
    other protocol some claim's evidence holds for it."""
    seen = {column(e["dataset"]) for v in report["claims"]["verdicts"]
            if not isinstance(v["evidence"], str) for e in v["evidence"]}
    out = []
    for dataset, title in DATASETS:
        out.append(((dataset, "paper"), title))
        for protocol in sorted(p for d, p in seen if d == dataset and p != "paper"):
            out.append(((dataset, protocol), f"{title}, {protocol}"))
    return out
VERDICT = {"reproduced": "**reproduced**", "not_reproduced": "**not reproduced**",
           "inconclusive": "inconclusive", "not_testable": "not testable"}
# "K = 15: dmpo 0.7614 → dynamicpo-dmpo 0.7726; Δ +0.0112 (...); ... Holm p = 0.041 ..."
PAIRED = re.compile(r"K = (\d+): (\S+) ([\d.]+) → (\S+) ([\d.]+); Δ ([+-][\d.]+) \(95% CI t \[([^]]*)\], "
                    r"bootstrap \[[^]]*\]\); paired t p = [^,]*, Holm p = ([^,]*), .*?n = (\d+)")


def paired(text):
    """Condenses every paired comparison in an evidence string."""
    return ["{} K={} {}→{}, Δ {} [{}], Holm p {}, n={}".format(
        m[1], m[0], m[2], m[4], m[5], m[6], m[7], m[8]) for m in PAIRED.findall(text)]


def condensed(claim, text):
    tests = paired(text)
    if claim == "C6":
        m = re.search(r"ratio ([\d.]+×) \([^)]*\) \[95% CI ([\d.]+), ([\d.]+)\] over (\d+) paired", text)
        return "step ratio {} [{}, {}], {} pairs".format(*m.groups()) if m else text
    if claim == "C8" and tests:
        head = text.split("; lifts at")[0]
        return head + "; " + "; ".join(tests)
    if tests:
        return "; ".join(tests)
    return text


OUTCOME = {"reproduced": "**reproduced**", "smaller_than_claimed": "**smaller than claimed**",
           "ruled_out": "**ruled out**", "underpowered": "underpowered", "opposite": "**opposite**",
           "baseline_does_not_train": "not testable (baseline does not train)", "not_run": "not run yet"}


def pct(x):
    return "–" if x is None else f"{100 * x:+.1f}%"


def primaries(report):
    """The pre-registered primary endpoints, one compact numeric row each."""
    print("| endpoint | dataset | protocol | Δ [95% t CI] | relative [95% CI] | paper | Holm p | outcome | at the last epoch |")
    print("|:--|:--|:--|--:|--:|--:|--:|:--|:--|")
    for row in report["endpoints"]["rows"]:
        if not row["primary"]:
            continue
        t = row["test"]
        cells = [row["id"], f"`{row['dataset']}`", row["protocol"]]
        if t is None:
            cells += ["–", "–", pct(row["paper_relative"]), "–", OUTCOME[row["outcome"]], "–"]
        else:
            sel, lo_hi = t["at_selected"], t["at_selected"]["t_ci95"]
            rel = t["relative_ci95"]
            p = sel["p_adjusted"]
            last = t["at_last"]
            outcome = OUTCOME[row["outcome"]] + (" (base < SFT)" if row["base_below_sft"] and row["outcome"] != "baseline_does_not_train" else "")
            cells += [
                f"{sel['effect']:+.4f} [{lo_hi[0]:+.4f}, {lo_hi[1]:+.4f}]",
                f"{pct(t['relative_lift'])} [{pct(rel[0])}, {pct(rel[1])}]",
                pct(row["paper_relative"]),
                "–" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}"),
                outcome,
                "–" if last is None else f"{OUTCOME[last['outcome']].strip('*')} (Δ {last['effect']:+.4f})",
            ]
        print("| " + " | ".join(cells) + " |")
    print()


def main():
    report = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "published/report.json"))
    primaries(report)
    table = columns(report)
    print("| claim | policy | " + " | ".join(title for _, title in table) + " |")
    print("|:--|:--|" + ":--|" * len(table))
    for verdict in report["claims"]["verdicts"]:
        claim = verdict["id"]
        if isinstance(verdict["evidence"], str):
            cell = VERDICT[verdict["verdict"]] + " over all datasets: " + verdict["evidence"]
            print(f"| {claim} | {verdict['policy']} | {cell} |" + " |" * (len(table) - 1))
            continue
        by_column = {column(e["dataset"]): e for e in verdict["evidence"]}
        if all(e["verdict"] == "not_testable" for e in by_column.values()):
            continue
        cells = []
        for key, _ in table:
            e = by_column.get(key)
            cells.append("—" if e is None else VERDICT[e["verdict"]] + ": " + condensed(claim, e["evidence"]).replace("|", "\\|"))
        print(f"| {claim} | {verdict['policy']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
