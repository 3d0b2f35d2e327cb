"""Heuristic decision modules of the §VI firm (``sim.recommendation``): an inventory module
(orders ``q_t``) and a recommendation module (intensities ``alpha_t``), swappable
independently.

Inventory: :class:`BaseStockLevels`, order up to a level per product;
:class:`CoverBaseStock`, levels that follow the expected demand at the intensities in force.
Recommendation: :class:`UniformRecommendation` (equal exposure, the uncoordinated
baseline), and coordinated heuristics that follow the follow-up paper's managerial insights
(seed 002: "when inventory levels are high, recommendation efforts should increase";
"recommendations should prioritize products with higher marketing efficiency and
profitability"): :class:`InventoryRecommendation` (scores = stock available this period),
:class:`MarginRecommendation` (scores = margin ``p_out - p_in`` times efficiency ``E``) and
:class:`TargetedRecommendation` (exposure where it moves purchases towards high margins).

Scores become intensities through :func:`sim.recommendation.spread`, with a ``mix`` weight
towards uniform (``mix = 0`` is uniform, ``mix = 1`` follows the scores only), the parameter the search of
:mod:`analysis.recommendation` tunes; :class:`TargetedRecommendation` goes through
:class:`sim.recommendation.Targeting` instead, ``mix`` scaling its weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.recommendation import (
    RecommendationObservation,
    Targeting,
    purchase_probabilities,
    spread,
)

__all__ = [
    "BaseStockLevels",
    "CoverBaseStock",
    "InventoryRecommendation",
    "MarginRecommendation",
    "TargetedRecommendation",
    "UniformRecommendation",
]


def _mix(cls: str, mix: Any) -> None:
    if isinstance(mix, bool) or not isinstance(mix, int | float) or not 0 <= mix <= 1:
        raise ValueError(f"{cls}.mix: must be a number in [0, 1], got {mix!r}")


@dataclass(frozen=True)
class BaseStockLevels:
    """Order up to a base-stock level per product: ``q = max(0, S_i - IP_i)`` with the
    inventory position ``IP = on hand + pipeline - backlog`` (units).

    Attributes:
        levels: ``S_i``, one per product (units, >= 0).
    """

    levels: tuple[float, ...]

    def __post_init__(self) -> None:
        levels = tuple(float(x) for x in self.levels)
        if not levels or not all(math.isfinite(x) and x >= 0 for x in levels):
            raise ValueError(
                f"BaseStockLevels.levels: must be finite numbers >= 0, got {self.levels!r}"
            )
        object.__setattr__(self, "levels", levels)

    def act(self, obs: RecommendationObservation) -> np.ndarray:
        if len(self.levels) != len(obs.on_hand):
            raise ValueError(
                f"BaseStockLevels.levels: has {len(self.levels)} entries, the problem has "
                f"{len(obs.on_hand)} products"
            )
        return np.maximum(np.asarray(self.levels) - obs.inventory_position, 0.0)


@dataclass(frozen=True)
class CoverBaseStock:
    """Base stock on the demand the recommendation creates: levels
    ``S_i = multiple * (L_i + 1) * mu_i`` with ``mu_i = sum_j c_j gamma[i, j]`` the expected
    demand per period at the intensities in force when the period starts (so a change of
    recommendation moves the levels from the next period on); the order is
    ``max(0, S_i - IP_i)``, rounded.

    Attributes:
        multiple: the safety multiple (>= 0).
    """

    multiple: float = 1.2

    def __post_init__(self) -> None:
        if not (isinstance(self.multiple, int | float) and 0 <= self.multiple < math.inf):
            raise ValueError(
                f"CoverBaseStock.multiple: must be a finite number >= 0, got {self.multiple!r}"
            )

    def act(self, obs: RecommendationObservation) -> np.ndarray:
        p = obs.problem
        mu = purchase_probabilities(p, obs.intensities) @ p.capacity
        level = self.multiple * (p.lead_time + 1.0) * mu
        return np.maximum(np.round(level - obs.inventory_position), 0.0)


@dataclass(frozen=True)
class UniformRecommendation:
    """Equal exposure (``1 / M`` per customer, or ``1 / N`` per product under per-customer
    normalisation), decided once at ``t = 0``."""

    def act(self, obs: RecommendationObservation) -> np.ndarray | None:
        return obs.problem.uniform_intensities() if obs.period == 0 else None


@dataclass(frozen=True)
class InventoryRecommendation:
    """Recommend in proportion to the stock available this period (on hand plus this
    period's arrivals), decided every period: push what is there, hide what is not.

    Attributes:
        mix: weight of the scores against uniform, in ``[0, 1]``.
    """

    mix: float = 1.0

    def __post_init__(self) -> None:
        _mix("InventoryRecommendation", self.mix)

    def act(self, obs: RecommendationObservation) -> np.ndarray:
        available = obs.on_hand + (obs.arrivals[0] if len(obs.arrivals) else 0.0)
        return spread(obs.problem, available, self.mix)


@dataclass(frozen=True)
class MarginRecommendation:
    """Recommend in proportion to margin times marketing efficiency,
    ``(p_out - p_in) * E`` (static: decided once at ``t = 0``).

    Attributes:
        mix: weight of the scores against uniform, in ``[0, 1]``.
    """

    mix: float = 1.0

    def __post_init__(self) -> None:
        _mix("MarginRecommendation", self.mix)

    def act(self, obs: RecommendationObservation) -> np.ndarray | None:
        if obs.period:
            return None
        p = obs.problem
        return spread(p, (p.price - p.cost) * p.efficiency, self.mix)


@dataclass(frozen=True)
class TargetedRecommendation:
    """Show each product to the customers whom it moves towards higher margins
    (:class:`sim.recommendation.Targeting` with weights ``mix * w``, ``w`` the margins
    ``p_out - p_in`` scaled linearly onto ``[-1, 1]``; static: decided once at ``t = 0``).

    Attributes:
        mix: the weights' scale in ``[0, 1]`` (``0``: uniform).
        sharpness: :class:`~sim.recommendation.Targeting`'s.
    """

    mix: float = 1.0
    sharpness: float = 20.0

    def __post_init__(self) -> None:
        _mix("TargetedRecommendation", self.mix)

    def act(self, obs: RecommendationObservation) -> np.ndarray | None:
        if obs.period:
            return None
        p = obs.problem
        margin = p.price - p.cost
        spread_ = margin.max() - margin.min()
        w = 2.0 * (margin - margin.mean()) / spread_ if spread_ > 0 else np.zeros_like(margin)
        return Targeting(p, self.sharpness)(self.mix * w)
