"""Reference values for the analysis of results/src/overhead/ (its unit tests): geometric-mean
ratios with 95 % t intervals on the log ratios, from numpy and scipy.

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install numpy scipy
    /tmp/statsvenv/bin/python scripts/overhead_reference.py
"""
import numpy as np
from scipy import stats


def geometric(variant, base):
    logs = np.log(np.asarray(variant) / np.asarray(base))
    n = len(logs)
    mean, sem = logs.mean(), logs.std(ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.975, n - 1) * sem
    return np.exp(mean), np.exp(mean - half), np.exp(mean + half)


# The record of the unit tests: two pairs of four repetitions, base steps of 1 s.
dmpo = [1.10, 1.20, 1.00, 1.05]
sdpo = [0.99, 1.01, 1.00, 1.02]
ones = [1.0] * 4
for name, variant, base in [
    ("dynamicpo-dmpo", dmpo, ones),
    ("dynamicpo-sdpo", sdpo, ones),
    ("pooled", dmpo + sdpo, ones + ones),
]:
    ratio, lo, hi = map(float, geometric(variant, base))
    print(f"{name}: ratio {ratio!r} ci95 ({lo!r}, {hi!r})")
