"""Confidence intervals against scipy and against their coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.statistics import batch_means, mean_ci


def test_mean_ci_matches_the_textbook_formula():
    x = [2.0, 4.0, 4.0, 5.0, 7.0]
    est = mean_ci(x)
    assert est.mean == 4.4
    assert est.half_width == pytest.approx(
        stats.t.ppf(0.975, 4) * np.std(x, ddof=1) / np.sqrt(5), rel=1e-6
    )
    assert est.covers(4.4) and not est.covers(10)


def test_mean_ci_covers_about_95_percent():
    rng = np.random.default_rng(0)
    hits = sum(mean_ci(rng.exponential(2.0, 20)).covers(2.0) for _ in range(2000))
    assert 0.92 < hits / 2000 < 0.97


def test_batch_means_drops_the_remainder_at_the_start():
    series = [100.0] + [1.0, 3.0] * 30
    est = batch_means(series, n_batches=30)
    assert est.mean == 2.0 and est.n == 30


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mean_ci([1.0]), "need at least 2"),
        (lambda: batch_means([1.0] * 10, n_batches=1), "n_batches: must be >= 2"),
        (lambda: batch_means([1.0] * 10, n_batches=30), "cannot make 30 batches"),
        (lambda: mean_ci([1.0, 2.0], confidence=1.5), "confidence: must be in"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
