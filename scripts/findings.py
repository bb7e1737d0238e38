#!/usr/bin/env python3
"""Prints the README's "Findings" verdict table from a report.json (default published/report.json).

One row per claim and policy with at least one testable dataset; one column per real dataset
(both LastFM variants and MovieLens-100K leave-one-out).
Paired comparisons are condensed to "base→variant, Δ [bootstrap 95 %], Holm p, n"; the report
itself (report.md) carries the full evidence, power and minimum detectable effects.
"""
import json
import re
import sys

COLUMNS = [("lastfm-raw", "`lastfm-raw` (id order)"), ("lastfm-dated", "`lastfm-dated` (date order)"),
           ("movielens-loo", "`movielens-loo` (time order)")]
VERDICT = {"reproduced": "**reproduced**", "not_reproduced": "**not reproduced**",
           "inconclusive": "inconclusive", "not_testable": "not testable"}
# "K = 15: dmpo 0.7614 → dynamicpo-dmpo 0.7726; Δ +0.0112 (...); ... Holm p = 0.041 ..."
PAIRED = re.compile(r"K = (\d+): (\S+) ([\d.]+) → (\S+) ([\d.]+); Δ ([+-][\d.]+) \(95% CI t \[[^]]*\], "
                    r"bootstrap \[([^]]*)\]\); paired t p = [^,]*, Holm p = ([^,]*), .*?n = (\d+)")


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


def main():
    report = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "published/report.json"))
    print("| claim | policy | " + " | ".join(title for _, title in COLUMNS) + " |")
    print("|:--|:--|" + ":--|" * len(COLUMNS))
    for verdict in report["claims"]["verdicts"]:
        claim = verdict["id"]
        if isinstance(verdict["evidence"], str):
            cell = VERDICT[verdict["verdict"]] + " over all datasets: " + verdict["evidence"]
            print(f"| {claim} | {verdict['policy']} | {cell} |" + " |" * (len(COLUMNS) - 1))
            continue
        by_dataset = {e["dataset"]: e for e in verdict["evidence"]}
        if all(e["verdict"] == "not_testable" for e in by_dataset.values()):
            continue
        cells = []
        for dataset, _ in COLUMNS:
            e = by_dataset.get(dataset)
            cells.append("—" if e is None else VERDICT[e["verdict"]] + ": " + condensed(claim, e["evidence"]))
        print(f"| {claim} | {verdict['policy']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
