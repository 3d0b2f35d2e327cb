"""Shared helpers: observations built by hand, field by field."""

from __future__ import annotations

import pytest

from sim.policy import InventoryObservation


def observation(
    *,
    on_hand: float = 0.0,
    backlog: float = 0.0,
    pipeline: float | None = None,
    demand: float = 0.0,
    arrivals: tuple[float, ...] | None = None,
    suppliers: tuple[str, ...] = ("source",),
    pipeline_by_supplier: tuple[float, ...] | None = None,
    echelon_inventory_position: float | None = None,
    period: int = 0,
) -> InventoryObservation:
    """An observation of node 'shop'; ``pipeline`` defaults to ``sum(arrivals)``."""
    if pipeline is None:
        pipeline = float(sum(arrivals or ()))
    if pipeline_by_supplier is None:
        pipeline_by_supplier = (pipeline,) + (0.0,) * (len(suppliers) - 1)
    return InventoryObservation(
        period=period,
        node="shop",
        product="widget",
        on_hand=on_hand,
        backlog=backlog,
        pipeline=pipeline,
        inventory_position=on_hand + pipeline - backlog,
        demand=demand,
        suppliers=suppliers,
        pipeline_by_supplier=pipeline_by_supplier,
        echelon_inventory_position=echelon_inventory_position,
        arrivals=arrivals,
    )


@pytest.fixture(scope="session")
def obs():
    """``obs(on_hand=..., arrivals=...)`` builds an :class:`InventoryObservation`."""
    return observation
