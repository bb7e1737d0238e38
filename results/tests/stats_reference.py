"""Independent reference values for results/tests/stats.rs (python3 standard library only).

Student's t CDF by Simpson integration of its density; Wilcoxon signed-rank by enumerating all
2^n sign patterns. Run: python3 results/tests/stats_reference.py
"""
import itertools
import math
import statistics


def t_pdf(x, df):
    c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(c - (df + 1) / 2 * math.log1p(x * x / df))


def t_two_sided(t, df, steps=200000):
    t = abs(t)
    h = t / steps
    s = t_pdf(0, df) + t_pdf(t, df)
    s += sum((4 if i % 2 else 2) * t_pdf(i * h, df) for i in range(1, steps))
    return 2 * (0.5 - s * h / 3)


def t_crit(df):
    lo, hi = 0.0, 100.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if t_two_sided(mid, df, 20000) > 0.05:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def ci95(v):
    m, s, n = statistics.mean(v), statistics.stdev(v), len(v)
    h = t_crit(n - 1) * s / math.sqrt(n)
    return m - h, m + h


def paired(d):
    n = len(d)
    return t_two_sided(statistics.mean(d) / (statistics.stdev(d) / math.sqrt(n)), n - 1)


def welch(a, b):
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t_two_sided((statistics.mean(b) - statistics.mean(a)) / math.sqrt(va + vb), df)


def wilcoxon(d):
    d = [x for x in d if x != 0]
    a = sorted(abs(x) for x in d)
    rank = {v: statistics.mean(i + 1 for i, w in enumerate(a) if w == v) for v in a}
    r = [rank[abs(x)] for x in d]
    total = sum(r)
    obs = abs(sum(ri for x, ri in zip(d, r) if x > 0) - total / 2)
    hits = sum(
        1
        for signs in itertools.product([0, 1], repeat=len(d))
        if abs(sum(ri for s, ri in zip(signs, r) if s) - total / 2) >= obs - 1e-9
    )
    return hits / 2 ** len(d)


def trend(pts):
    n = len(pts)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
    res = sum((y - my - slope * (x - mx)) ** 2 for x, y in pts)
    return slope, t_two_sided(slope / math.sqrt(res / (n - 2) / sxx), n - 2)


print("ci95", ci95([0.5848, 0.6661, 0.6383]), ci95([0.1, 0.2, 0.3, 0.4, 0.5, 0.55]))
print("paired", paired([0.05, 0.07, 0.02]), paired([0.01, -0.02, 0.03, 0.005, 0.012]))
print("welch", welch([0.5, 0.52, 0.49], [0.45, 0.47, 0.44, 0.46]), welch([10.0, 11.0, 10.5], [10.2, 12.5, 11.0]))
for d in ([0.5, -1.0, 1.5, 2.0, 2.5], [1.0, 1.0, -2.0, 3.0, 0.0, 4.0, -4.0], [0.1, 0.2, 0.3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -12], [-0.3, 0.3, 0.3, 0.7, 0.9, -1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9]):
    print("wilcoxon", d, repr(wilcoxon(d)))
print("trend", trend([(5, 0.545), (5, 0.528), (5, 0.533), (15, 0.495), (15, 0.485), (15, 0.486)]))


def wilcoxon_normal(d):
    a = sorted(abs(x) for x in d if x != 0)
    rank = {v: statistics.mean(i + 1 for i, w in enumerate(a) if w == v) for v in a}
    r = [rank[abs(x)] for x in d if x != 0]
    wplus = sum(rank[abs(x)] for x in d if x > 0)
    z = abs(wplus - sum(r) / 2) / math.sqrt(sum(ri * ri for ri in r) / 4)
    return 2 * statistics.NormalDist().cdf(-z)


many = [-(i + 0.0) if i % 3 == 0 else i + 0.0 for i in range(1, 52)] + [5.0, -5.0]
print("wilcoxon normal (53 values, ties)", repr(wilcoxon_normal(many)))
