"""Confidence intervals: replication means and batch means, Student-t.

Long-run averages of one simulated path are autocorrelated; the method of batch means
splits the path (after the warm-up) into ``n`` contiguous batches whose means are nearly
independent, and treats them as replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "batch_means", "mean_ci", "t_quantile"]


@dataclass(frozen=True)
class Estimate:
    """A mean with the half-width of its confidence interval.

    Attributes:
        mean: the sample mean.
        half_width: the CI is ``mean ± half_width``.
        n: replications (or batches) behind it.
        std: their sample standard deviation.
    """

    mean: float
    half_width: float
    n: int
    std: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def covers(self, value: float) -> bool:
        """True when ``value`` lies inside the interval."""
        return self.low <= value <= self.high


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (no scipy needed).

    Uses Hill's (1970) expansion, accurate to about 1e-6 for df >= 2 and usual p.
    """
    if df < 1:
        raise ValueError(f"df: must be >= 1, got {df}")
    if not 0 < p < 1:
        raise ValueError(f"p: must be in (0, 1), got {p}")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        a = 4 * p * (1 - p)
        return (2 * p - 1) * math.sqrt(2 / a)
    z = _normal_quantile(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation refined by one Halley step (error < 1e-12).
    a = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
    b = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
         3.754408661907416e00)  # fmt: skip
    if p < 0.02425:
        q = math.sqrt(-2 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    elif p > 1 - 0.02425:
        return -_normal_quantile(1 - p)
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        )
    e = 0.5 * math.erfc(-x / math.sqrt(2)) - p
    u = e * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
    return x - u / (1 + x * u / 2)


def mean_ci(values, confidence: float = 0.95) -> Estimate:
    """Mean of independent ``values`` (replications) with a Student-t interval."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        raise ValueError(f"values: need at least 2 to estimate an interval, got {n}")
    std = float(x.std(ddof=1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)
    return Estimate(float(x.mean()), half, n, std)


def batch_means(series, n_batches: int = 30, confidence: float = 0.95) -> Estimate:
    """Long-run mean of one autocorrelated ``series`` with a batch-means interval.

    The series is cut into ``n_batches`` equal contiguous batches (the remainder at the start
    is dropped, so pass the series after its warm-up).
    """
    x = np.asarray(series, dtype=float)
    if n_batches < 2:
        raise ValueError(f"n_batches: must be >= 2, got {n_batches}")
    size = x.size // n_batches
    if size < 1:
        raise ValueError(f"series: {x.size} values cannot make {n_batches} batches")
    batches = x[x.size - size * n_batches :].reshape(n_batches, size).mean(axis=1)
    return mean_ci(batches, confidence)
