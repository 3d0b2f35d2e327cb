"""The built-in experiments: textbook instances and the beer game.

A :class:`Scenario` is a declared experiment: a network, the decision module of every
stocking node, the engine's options, the horizon and warm-up. ``build(seed)`` makes a fresh
model for one replication.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from agents import BaseStock, EchelonBaseStock, Sterman
from networks import beer_game, serial
from sim import Policy, SupplyChainModel

__all__ = ["SCENARIOS", "Scenario", "get"]


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """A declared experiment.

    Attributes:
        name: registry name.
        description: one line for ``supplysim list``.
        network: builds the graph (called once per replication).
        policies: decision module per stocking node (or one for all).
        options: keyword arguments of :class:`sim.SupplyChainModel` (``decide``, ...).
        periods: horizon in periods, warm-up included.
        warmup: periods left out of the statistics.
        reference: a known long-run cost per period, when the literature gives one.
    """

    name: str
    description: str
    network: Callable[[], nx.DiGraph]
    policies: Mapping[Any, Policy] | Policy
    options: Mapping[str, Any] = field(default_factory=dict)
    periods: int = 1_000
    warmup: int = 100
    reference: float | None = None

    def build(self, seed: int = 0, **overrides: Any) -> SupplyChainModel:
        """A fresh model of this scenario for replication ``seed``."""
        return SupplyChainModel(self.network(), self.policies, seed=seed, **{**self.options, **overrides})


BEER_GAME_DEMAND = {"dist": "trace", "values": [4] * 4 + [8] * 996}
STERMAN_PLAYER = Sterman(
    desired_stock=17.0,
    stock_adjustment=0.26,
    supply_line_weight=0.34,
    smoothing=0.36,
    initial_expectation=4.0,
)

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="beer_game",
            description="Sterman's beer game: 4 human-like anchoring-and-adjustment players, "
            "demand steps from 4 to 8",
            network=lambda: beer_game(demand=BEER_GAME_DEMAND),
            policies=STERMAN_PLAYER,
            options={"decide": "end"},
            periods=52,
            warmup=0,
        ),
        Scenario(
            name="beer_game_base_stock",
            description="the beer game played by installation base-stock players",
            network=lambda: beer_game(demand=BEER_GAME_DEMAND),
            policies=BaseStock(level=20),
            options={"decide": "end"},
            periods=52,
            warmup=0,
        ),
        Scenario(
            name="clark_scarf",
            description="Chen & Zheng's 4-stage serial system at its optimal echelon "
            "base-stock levels (79.78 per period)",
            network=lambda: serial(
                4,
                lead_time=2,
                holding_cost=[4, 3, 2, 1],
                backlog_cost=[20, 0, 0, 0],
                demand={"dist": "poisson", "mean": 4},
            ),
            policies={
                f"stage{k + 1}": EchelonBaseStock(level=s) for k, s in enumerate([13, 22, 31, 39])
            },
            options={"decide": "end", "charge_in_transit": True},
            periods=5_000,
            warmup=200,
            reference=79.78,
        ),
        Scenario(
            name="lost_sales",
            description="Zipkin's lost-sales single stage, Poisson(5), h=1, p=9, L=1, "
            "base-stock 13 (5.5475 per period)",
            network=lambda: serial(
                1,
                lead_time=1,
                holding_cost=1,
                backlog_cost=0,
                lost_sales_cost=9,
                shortage="lost_sales",
                demand={"dist": "poisson", "mean": 5},
            ),
            policies=BaseStock(level=13),
            options={"decide": "start"},
            periods=20_000,
            warmup=200,
            reference=5.5475,
        ),
    )
}


def get(name: str) -> Scenario:
    """The built-in scenario ``name``; ``KeyError`` lists the names when it is unknown."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no built-in scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
