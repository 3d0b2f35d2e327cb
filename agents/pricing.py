"""Pricing modules: competitors' strategies and the firm's joint pricing-replenishment
heuristics (the seed paper's §V baselines).

Competitor strategies read a :class:`~sim.market.PriceObservation` at the close of a period
and return the price they post for the next one (money per unit). Firm heuristics read an
:class:`~sim.policy.InventoryObservation` of a priced stock point and return
:class:`~sim.policy.Priced` ``(quantity, price)``. All are frozen, keyword-only dataclasses
checked when built (a :class:`ValueError` names the parameter).

Notation: ``IP = obs.inventory_position``; ``x = obs.on_hand - obs.backlog`` (the net
inventory at the start of the period, after its receipts); prices in ``[low, high]``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.demand import BETA, LogitDemand
from sim.policy import Priced

from . import _checks

if TYPE_CHECKING:
    from sim.market import PriceObservation
    from sim.policy import InventoryObservation

__all__ = [
    "SSP",
    "BaseStockListPrice",
    "FixedPrice",
    "FollowLeader",
    "MyopicPricing",
    "RandomWalkPrice",
    "Undercut",
]


def _bounds(low: float, high: float) -> None:
    _checks.number("low", low, at_least=0)
    _checks.number("high", high, above=low)


# ---------------------------------------------------------------------- competitors
@dataclass(frozen=True, kw_only=True)
class FixedPrice:
    """A competitor that always posts ``price``.

    Reference: the fixed-price competitor of Kastius & Schlosser (2022), §5.
    """

    price: float

    def __post_init__(self) -> None:
        _checks.number("price", self.price, at_least=0)

    def act(self, obs: PriceObservation) -> float:
        return self.price


@dataclass(frozen=True, kw_only=True)
class Undercut:
    """Undercut the cheapest rival by ``step``, never below ``floor``:
    ``o_{t+1} = max(floor, min(rivals_t) - step)`` (the undercutting rule of Kastius &
    Schlosser 2022's rule-based competitors, without their reset to a high price).

    Reference: Kastius & Schlosser (2022), J. Revenue Pricing Manag. 21:50–63, §5.
    """

    step: float = 1.0
    floor: float = 1.0

    def __post_init__(self) -> None:
        _checks.number("step", self.step, at_least=0)
        _checks.number("floor", self.floor, at_least=0)

    def act(self, obs: PriceObservation) -> float:
        if not obs.competitor_prices:
            return obs.price
        return max(self.floor, min(obs.competitor_prices) - self.step)


@dataclass(frozen=True, kw_only=True)
class FollowLeader:
    """Post the cheapest rival's price of ``delay`` periods ago: ``o_{t+1} =
    min(rivals_{t+1-delay})`` (a follower with a reaction delay); its own price until that
    much history exists.

    Reference: the "follow the leader" rule with a reaction delay named in issue 10 (a
    price-matching competitor as in Schlosser & Richly 2019's simulated markets).
    """

    delay: int = 1

    def __post_init__(self) -> None:
        _checks.integer("delay", self.delay, at_least=1)

    def spawn(self) -> _Follower:
        return _Follower(self.delay)

    def act(self, obs: PriceObservation) -> float:
        raise TypeError("FollowLeader keeps history: the market consults what spawn() returns")


class _Follower:
    def __init__(self, delay: int):
        self.seen: deque[float] = deque(maxlen=delay)

    def act(self, obs: PriceObservation) -> float:
        self.seen.append(min(obs.competitor_prices, default=obs.price))
        return self.seen[0] if len(self.seen) == self.seen.maxlen else obs.price


@dataclass(frozen=True, kw_only=True)
class RandomWalkPrice:
    """A price that moves by ``+step`` or ``-step`` each period with equal probability,
    kept within ``[low, high]``; its steps come from the competitor agent's own stream.

    Reference: a random-walk competitor as a non-strategic benchmark (issue 10).
    """

    step: float = 1.0
    low: float = 1.0
    high: float = 50.0

    def __post_init__(self) -> None:
        _checks.number("step", self.step, at_least=0)
        _bounds(self.low, self.high)

    def seeded(self, rng: np.random.Generator) -> _Walker:
        return _Walker(self, rng)

    def act(self, obs: PriceObservation) -> float:
        raise TypeError("RandomWalkPrice draws steps: the market consults what seeded() returns")


class _Walker:
    def __init__(self, walk: RandomWalkPrice, rng: np.random.Generator):
        self.walk, self.rng = walk, rng

    def act(self, obs: PriceObservation) -> float:
        w = self.walk
        move = w.step if self.rng.random() < 0.5 else -w.step
        return min(w.high, max(w.low, obs.price + move))


# ---------------------------------------------------------------------- firm heuristics
@dataclass(frozen=True, kw_only=True)
class BaseStockListPrice:
    """Base-stock list-price (BSLP) policy.

    Reference: Thowsen (1975), "A dynamic, nonstationary inventory problem for a
    price/quantity setting firm", Naval Res. Logist. Q. 22(3): one base-stock level and one
    list price, optimal for additive demand with PF2 noise (seed paper §V-B).

    Decision rule: ``q_t = (level - IP)^+``, price ``price``.
    """

    level: float
    price: float

    def __post_init__(self) -> None:
        _checks.number("level", self.level, at_least=0)
        _checks.number("price", self.price, at_least=0)

    def act(self, obs: InventoryObservation) -> Priced:
        return Priced(float(max(self.level - obs.inventory_position, 0.0)), self.price)


@dataclass(frozen=True, kw_only=True)
class SSP:
    """(s, S, p) policy.

    Reference: Chen & Simchi-Levi (2004), Oper. Res. 52(6): with a fixed ordering cost an
    (s, S, p) policy is optimal: order up to ``S`` when the inventory position is below
    ``s``, and charge a price that depends on the inventory level after ordering. The
    paper's optimal price function was not at hand; this implements the documented
    structure with a price linear in the shortfall from ``S`` (scarcer stock, higher price).

    Decision rule: ``q = S - IP`` if ``IP < s`` else 0; with ``y = IP + q``, the price is
    ``min(high, max(low, price + slope * (S - y)))``.
    """

    s: float
    S: float
    price: float
    slope: float = 0.0
    low: float = 1.0
    high: float = 50.0

    def __post_init__(self) -> None:
        _checks.number("s", self.s)
        _checks.number("S", self.S, at_least=self.s)
        _bounds(self.low, self.high)
        _checks.number("price", self.price, at_least=self.low, at_most=self.high)
        _checks.number("slope", self.slope)

    def act(self, obs: InventoryObservation) -> Priced:
        ip = obs.inventory_position
        q = self.S - ip if ip < self.s else 0.0
        y = ip + q
        return Priced(
            float(q), min(self.high, max(self.low, self.price + self.slope * (self.S - y)))
        )


@dataclass(frozen=True, kw_only=True)
class MyopicPricing:
    """Myopic pricing with base-stock replenishment.

    Reference: Bernstein, Li & Shang (2016), "A simple heuristic for joint inventory and
    pricing models with lead time and backorders", Manag. Sci. 62(8): each period's price
    maximises the expected one-period profit given the starting inventory, and stock is
    replenished to a base-stock level. The paper's exact lead-time adjustment was not at
    hand; this prices on the net inventory ``x`` now on hand against this period's demand
    (Eq. (3) at the rivals' posted prices and the current reference price)::

        p_t = argmax_{p in grid} E[p * S(p) - h * (x - D_p)^+ - b * (D_p - x)^+],

    with ``S(p) = D_p`` under backlog (all demand is eventually served) and
    ``min(D_p, x^+)`` under lost sales, and orders ``q_t = (level - IP)^+``. The grid is
    ``low, low + step, ..., high``; ties go to the lowest price.

    Attributes:
        level: the base-stock level (units).
        eta, delta, beta: the demand model (:class:`~sim.market.LogitDemand`).
        holding_cost, shortage_cost: ``h`` and ``b`` (money per unit and period; under lost
            sales ``b`` is the penalty per unit lost).
        lost_sales: the shortage mode of the node.
        step, low, high: the price grid.
    """

    level: float
    eta: float
    delta: float = 1.0
    beta: tuple[float, ...] = BETA
    holding_cost: float = 0.0
    shortage_cost: float = 0.0
    lost_sales: bool = False
    step: float = 0.5
    low: float = 1.0
    high: float = 50.0

    def __post_init__(self) -> None:
        _checks.number("level", self.level, at_least=0)
        demand = LogitDemand(eta=self.eta, delta=self.delta, beta=self.beta)  # checks them
        object.__setattr__(self, "beta", demand.beta)  # a TOML list becomes the tuple
        _checks.number("holding_cost", self.holding_cost, at_least=0)
        _checks.number("shortage_cost", self.shortage_cost, at_least=0)
        _checks.number("step", self.step, above=0)
        _bounds(self.low, self.high)

    def grid(self) -> np.ndarray:
        """The candidate prices."""
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        return self.low + self.step * np.arange(n + 1)

    def price(self, x: float, competitors: tuple[float, ...], reference: float) -> float:
        """The myopic price at net inventory ``x``."""
        demand = LogitDemand(eta=self.eta, delta=self.delta, beta=self.beta)
        prices = self.grid()
        rates = demand.rates(prices, competitors, reference)
        top = float(rates.max())
        k = np.arange(math.ceil(top + 12 * math.sqrt(top) + 20))
        log_k = np.cumsum(np.log(np.maximum(k, 1)))  # log k!
        with np.errstate(divide="ignore"):
            pmf = np.exp(k * np.log(rates[:, None]) - rates[:, None] - log_k)
        over = np.maximum(x - k, 0.0)
        under = np.maximum(k - x, 0.0)
        sold = np.minimum(k, max(x, 0.0)) if self.lost_sales else k
        value = prices[:, None] * sold - self.holding_cost * over - self.shortage_cost * under
        return float(prices[int(np.argmax((pmf * value).sum(axis=1)))])

    def act(self, obs: InventoryObservation) -> Priced:
        if obs.price is None:
            raise ValueError(
                f"node {obs.node!r}: MyopicPricing needs a priced stock point (a market firm)"
            )
        p = self.price(obs.on_hand - obs.backlog, obs.competitor_prices, obs.reference_price)
        return Priced(float(max(self.level - obs.inventory_position, 0.0)), p)
