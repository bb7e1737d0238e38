"""Reference values for the decision statistics of results/src/stats.rs, from scipy, numpy and
statsmodels (independent of the Rust code and of statrs). Writes
results/tests/fixtures/power_reference.json, which results/tests/stats.rs reads.

Run once, in a throwaway virtual environment (the project does not depend on these packages):

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install scipy statsmodels
    /tmp/statsvenv/bin/python scripts/stats_power_reference.py

What it records:

- noncentral t: scipy.stats.nct cdf and sf (Boost's implementation);
- power of the two-sided paired (one-sample) t-test: statsmodels' TTestPower.power, that is
  P(T > t_crit) + P(T < -t_crit) with T noncentral t, df = n - 1, nc = d * sqrt(n);
- minimum detectable standardised effect at 80% power: the root of that power (brentq), which
  TTestPower.solve_power confirms to its own tolerance;
- seeds needed: the smallest integer n >= 2 whose statsmodels power reaches 0.8 (scanned, so
  the fixture does not depend on a root finder), capped at 1000;
- Holm-Bonferroni: statsmodels.stats.multitest.multipletests(method="holm");
- the percentile bootstrap: numpy draws the resample indices, the fixture holds them and
  np.percentile (linear interpolation) of the resampled means; and scipy.stats.bootstrap's
  percentile interval with many resamples, which an independent generator must approach.
"""
import json
import math
import pathlib

import numpy as np
import scipy
import statsmodels
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

ALPHA = 0.05
POWER = 0.8
CAP = 1000

power = TTestPower()


def paired_power(d, n):
    """statsmodels' TTestPower.power, written out by the symmetry P(T < -c; nc) = P(T > c; -nc):
    scipy's nct.cdf returns NaN far in the lower tail for df = 1 (e.g. nc = 8 * sqrt(2)), where
    statsmodels' sum then is NaN too; where statsmodels gives a number, both agree to 1e-12."""
    df, nc = n - 1, d * math.sqrt(n)
    crit = stats.t.isf(ALPHA / 2, df)
    ours = float(stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc))
    theirs = float(power.power(effect_size=d, nobs=n, alpha=ALPHA, alternative="two-sided"))
    assert math.isnan(theirs) or abs(ours - theirs) < 1e-12, (d, n, ours, theirs)
    return ours


def seeds_needed(d):
    """Smallest n in 2..=CAP with power >= POWER, else None ("more than CAP")."""
    if paired_power(d, CAP) < POWER:
        return None
    lo, hi = 2, CAP  # power(hi) >= POWER; power increases with n
    if paired_power(d, lo) >= POWER:
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if paired_power(d, mid) >= POWER:
            hi = mid
        else:
            lo = mid
    assert paired_power(d, hi) >= POWER > paired_power(d, hi - 1)
    return hi


nct = [
    {"t": t, "df": df, "nc": nc, "cdf": float(stats.nct.cdf(t, df, nc)), "sf": float(stats.nct.sf(t, df, nc))}
    for (t, df, nc) in [
        (1.0, 1, 0.5),
        (-2.0, 1, 1.5),
        (12.706204736174698, 1, 3.0),
        (2.7764451051977987, 4, 2.0),
        (-2.7764451051977987, 4, 2.0),
        (2.262157162740992, 9, -1.0),
        (0.0, 3, 0.0),
        (3.5, 7, 5.0),
        (1.9623414611334487, 999, 2.5),
        (-1.5, 30, -2.0),
        (4.0, 2, 0.25),
    ]
]

power_cases = [
    {"d": d, "n": n, "power": paired_power(d, n)}
    for (d, n) in [
        (0.5, 2),
        (2.0, 2),
        (8.0, 2),
        (1.0, 3),
        (1.5, 5),
        (0.8, 5),
        (0.3, 10),
        (1.2, 8),
        (0.1, 200),
        (0.05, 1000),
        (0.0, 7),
        (-0.9, 6),
        (3.0, 4),
    ]
]

def mde_of(n):
    """The d at which the power reaches POWER, to 1e-13 (statsmodels' solve_power stops near
    1e-4 relative; it is checked against this)."""
    d = brentq(lambda x: paired_power(x, n) - POWER, 1e-9, 1e3, xtol=1e-14, rtol=1e-15)
    rough = float(power.solve_power(effect_size=None, nobs=n, alpha=ALPHA, power=POWER))
    assert abs(rough - d) < 1e-3 * d, (n, d, rough)
    return d


mde = [{"n": n, "d": mde_of(n)} for n in [2, 3, 4, 5, 6, 8, 10, 20, 50, 200, 1000]]

seeds = [{"d": d, "n": seeds_needed(d)} for d in [10.0, 3.0, 2.0, 1.5, 1.0, 0.8, 0.5, 0.3, 0.2, 0.1, 0.09, 0.05]]

holm_inputs = [
    [0.01, 0.04, 0.03, 0.005],
    [0.03, 0.04],
    [0.2, 0.2, 0.01, 0.9, 0.04],
    [0.5],
    [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007],
    [0.6, 0.4, 0.3, 0.02],
    [0.0, 1.0, 0.049, 0.051],
]
holm = [{"p": p, "adjusted": [float(x) for x in multipletests(p, method="holm")[1]]} for p in holm_inputs]

rng = np.random.default_rng(20260501)
bootstrap = []
# The third sample is continuous, so neighbouring order statistics of its resampled means
# differ and the test sees whether the percentile interpolates as numpy's does.
continuous = [round(float(x), 6) for x in np.random.default_rng(11).normal(0.02, 0.05, size=12)]
for values in ([0.0625, 0.03125, 0.09375, 0.015625, 0.078125], [0.12, -0.03, 0.05, 0.2, 0.01, 0.07, -0.1, 0.04], continuous):
    v = np.asarray(values)
    idx = rng.integers(0, len(v), size=(1000, len(v)))
    means = v[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    scipy_ci = stats.bootstrap(
        (v,), np.mean, method="percentile", n_resamples=200000, confidence_level=0.95, rng=np.random.default_rng(7)
    ).confidence_interval
    bootstrap.append(
        {
            "values": values,
            "indices": idx.tolist(),
            "ci": [float(lo), float(hi)],
            "scipy_percentile_ci": [float(scipy_ci.low), float(scipy_ci.high)],
        }
    )

fixture = {
    "generated_by": "scripts/stats_power_reference.py",
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
    "alpha": ALPHA,
    "power": POWER,
    "cap": CAP,
    "noncentral_t": nct,
    "paired_power": power_cases,
    "mde": mde,
    "seeds_needed": seeds,
    "holm": holm,
    "bootstrap": bootstrap,
}
out = pathlib.Path(__file__).resolve().parent.parent / "results/tests/fixtures/power_reference.json"
out.parent.mkdir(parents=True, exist_ok=True)


def dump(value):
    """One line per list element, so the fixture diffs line by line without being 100k lines."""
    if isinstance(value, list):
        return "[\n  " + ",\n  ".join(json.dumps(v) for v in value) + "\n ]"
    return json.dumps(value)


out.write_text("{\n" + ",\n".join(f" {json.dumps(k)}: {dump(v)}" for k, v in fixture.items()) + "\n}\n")
print(out, {k: len(v) for k, v in fixture.items() if isinstance(v, list)})
for case in seeds:
    print("seeds", case)
print("mde", mde)
