"""Eq. (3) of the seed paper: the logit demand model of the market layer
(:mod:`sim.market`), kept free of Mesa so that heuristics and the command line can use it
without importing the engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["BETA", "LogitDemand", "poisson_quantile"]

#: The coefficients of Eq. (3)'s regressors ``(1, rank, p - o, n_competitors, (p + o) / 2,
#: p - r)``: Schlosser & Richly (2019, J. Revenue Pricing Manag. 18:451–464) estimated from
#: data, as used by Kastius & Schlosser (2022, "Dynamic pricing under competition using
#: reinforcement learning", J. Revenue Pricing Manag. 21:50–63); values as given in the
#: issue (the papers' tables were not at hand to check the last digits).
BETA: tuple[float, ...] = (-3.89, -0.56, -0.01, 0.07, -0.03, -0.01)


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


def _logistic(z: float) -> float:
    """``e^z / (1 + e^z)`` without overflow for any finite ``z``."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def poisson_quantile(u: float, rate: float) -> float:
    """The smallest ``k`` with ``P(Pois(rate) <= k) >= u``: a Poisson draw by inversion of
    one uniform ``u`` in ``[0, 1)`` (Devroye 1986, *Non-Uniform Random Variate Generation*,
    §X.3.3, sequential search). Above a rate of 500, where ``e^-rate`` underflows in
    doubles' working range, the normal approximation with continuity correction is used."""
    if rate <= 0:
        return 0.0
    if rate > 500:
        return float(max(0, math.floor(rate + math.sqrt(rate) * NormalDist().inv_cdf(u) + 0.5)))
    k = 0
    p = math.exp(-rate)
    cdf = p
    while u > cdf and p > 0:
        k += 1
        p *= rate / k
        cdf += p
    return float(k)


@dataclass(frozen=True, kw_only=True)
class LogitDemand:
    """The demand model of the seed paper's Eq. (3):
    ``D ~ Pois(eta * Delta * e^{x'beta} / (1 + e^{x'beta}))``.

    Regressors (Schlosser & Richly 2019, Table 2 / Kastius & Schlosser 2022, §4) for a price
    ``p``, competing prices ``o_1..o_K`` and reference price ``r``::

        x = (1, rank, p - o, K, (p + o) / 2, p - r),
        rank = 1 + sum_k (1{o_k < p} + 1{o_k <= p}) / 2,   o = min_k o_k.

    The sources have one competitor (``K = 1``, ``o = o_1``); with several, ``o`` is the
    cheapest competing price and the rank counts all of them (our generalisation). With no
    competitor, ``rank = 1`` and ``o = p`` (a monopoly: no price gap).

    Attributes:
        eta: customers per unit of the sources' time (Eq. (3)'s scaling factor), ``> 0``.
            The sources' value was not at hand; scenarios choose it so that demand at the
            initial prices is of the order they want (at ``p = o = r = 30`` with one
            competitor the purchase probability is about ``0.00384``).
        delta: the length of one period in that time unit (Eq. (3)'s ``Delta``), in
            ``(0, 1]``.
        beta: the six coefficients (default :data:`BETA`).
    """

    eta: float
    delta: float = 1.0
    beta: tuple[float, ...] = BETA

    def __post_init__(self) -> None:
        eta = _finite("eta", self.eta)
        if eta <= 0:
            raise ValueError(f"eta: must be > 0, got {self.eta!r}")
        delta = _finite("delta", self.delta)
        if not 0 < delta <= 1:
            raise ValueError(f"delta: must be in (0, 1], got {self.delta!r}")
        beta = self.beta
        if isinstance(beta, str | bytes) or not isinstance(beta, Sequence) or len(beta) != 6:
            raise ValueError(
                f"beta: must be 6 numbers, one per regressor (1, rank, p - o, n_competitors, "
                f"(p + o) / 2, p - r), got {beta!r}"
            )
        object.__setattr__(
            self, "beta", tuple(_finite(f"beta[{k}]", b) for k, b in enumerate(beta))
        )

    @staticmethod
    def regressors(
        price: float, competitors: Sequence[float], reference: float
    ) -> tuple[float, ...]:
        """``x(p, o, r)``, the six regressors of Eq. (3)."""
        if competitors:
            o = min(competitors)
            rank = 1.0 + sum(int(c < price) + int(c <= price) for c in competitors) / 2.0
        else:
            o, rank = price, 1.0
        return (1.0, rank, price - o, float(len(competitors)), (price + o) / 2.0, price - reference)

    def probability(self, price: float, competitors: Sequence[float], reference: float) -> float:
        """The purchase probability of one arriving customer, ``logistic(x'beta)``."""
        x = self.regressors(price, competitors, reference)
        return _logistic(sum(a * b for a, b in zip(x, self.beta, strict=True)))

    def rate(self, price: float, competitors: Sequence[float], reference: float) -> float:
        """Expected demand per period, ``eta * Delta * logistic(x'beta)`` (units)."""
        return self.eta * self.delta * self.probability(price, competitors, reference)

    def rates(
        self, prices: np.ndarray, competitors: Sequence[float], reference: float | np.ndarray
    ) -> np.ndarray:
        """:meth:`rate` for an array of prices at once (a price grid; references may be an
        array of the same shape)."""
        p = np.asarray(prices, dtype=np.float64)
        b = self.beta
        if competitors:
            o = min(competitors)
            rank = 1.0 + sum((c < p).astype(float) + (c <= p) for c in competitors) / 2.0
        else:
            o, rank = p, np.ones_like(p)
        z = b[0] + b[1] * rank + b[2] * (p - o) + b[3] * len(competitors)
        z = z + b[4] * (p + o) / 2.0 + b[5] * (p - np.asarray(reference, dtype=np.float64))
        return self.eta * self.delta / (1.0 + np.exp(-z))
