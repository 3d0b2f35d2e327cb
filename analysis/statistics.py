"""Confidence intervals: replication means and batch means, Student-t.

Long-run averages of one simulated path are autocorrelated; the method of batch means
splits the path (after the warm-up) into ``n`` contiguous batches whose means are nearly
independent, and treats them as replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Estimate", "batch_means", "mean_ci"]


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


def mean_ci(values, confidence: float = 0.95) -> Estimate:
    """Mean of independent ``values`` (replications) with a Student-t interval."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        raise ValueError(f"values: need at least 2 to estimate an interval, got {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence}")
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
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
