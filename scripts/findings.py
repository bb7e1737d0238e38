#!/usr/bin/env python3
"""Prints the README's "Findings" tables from a report.json (default published/report.json).

First the pre-registered primary endpoints (docs/claims.md): the report's first tables, taken
from the report.md beside the report.json (one per protocol, a row per endpoint and dataset with
Δ [95 % t CI], the relative lift beside the paper's, the Holm p and the outcome). Then the per-claim verdict table: one row per claim and
policy with at least one testable dataset, one column per real dataset (both LastFM variants
and MovieLens-100K leave-one-out) and protocol (the paper's; the tuned one where it ran, after
the paper's column of that dataset); paired comparisons condensed to "base→variant, Δ [t 95 %],
Holm p, n". The report itself (report.md) carries the full evidence, power and minimum
detectable effects.
"""
import json
import os
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


# "DMPO HR@1 K=1: 0.4381, …, K=19: 0.4281; peak K = 1, mean drop to largest K 0.0100 (paired
# drop +0.0100 [-0.0007, +0.0207], p = 0.060 (n = 5); no collapse); final loss falls from the
# peak on": the per-K means are in the report's tables; the cell keeps the collapse reading.
COLLAPSE = re.compile(r"(\S+) HR@1 (?:K=\d+: [\d.]+, )*K=\d+: [\d.]+; peak K = (\d+), mean drop to largest "
                      r"K [\d.]+ \((?:paired drop ([^,]+, [^]]+\]), p = ([^ ]+) \(n = (\d+)\)|no paired seeds)"
                      r"; (no collapse|collapse)\); final loss ([^;]*)")


def collapse(m):
    """One collapse reading, condensed."""
    name, peak, drop, p, n, verdict, loss = m.groups()
    if drop is None:
        return f"{name} peaks at K={peak} (no drop), {verdict}"
    return f"{name} peaks at K={peak}, drop to largest K {drop}, p {p}, n={n}, {verdict}"


def condensed(claim, text):
    if claim in ("C1", "C8"):
        text = COLLAPSE.sub(collapse, text)
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


def primaries(report_json):
    """The report's first tables, as `report.md` beside `report_json` has them (one per
    protocol; the report renders them, so they are not spelt a second time here)."""
    md = open(os.path.join(os.path.dirname(report_json) or ".", "report.md")).read()
    first = md.index("**At a glance, ")
    print(md[first:md.index("Primary endpoints in detail:", first)], end="")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "published/report.json"
    report = json.load(open(path))
    primaries(path)
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
