"""The simulation engine: a SimPy event engine over NetworkX supply graphs with Mesa agents.

Names are imported on first use (PEP 562), so that ``import sim`` and the light modules
(``sim.policy``, ``sim.spaces``) do not load mesa, pandas and scipy: checking a scenario
file stays fast. ``sim.env`` (gymnasium) is imported only by name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents import CustomerAgent, StockingAgent
    from .initial import InitialState
    from .model import Decision, Reward, SupplyChainModel
    from .policy import (
        EXTERNAL,
        OPTIONAL_FIELDS,
        Action,
        External,
        InventoryObservation,
        ObservationBatch,
        Policy,
        PolicyError,
        StatefulPolicy,
    )
    from .recorder import COST_COLUMNS, EDGE_COLUMNS, STOCK_COLUMNS, Recorder
    from .streams import Purpose, stream
    from .vector import VectorizedSupplyChainModel

#: The engines' names, for scenarios (``ENGINES`` maps them to the classes).
ENGINE_NAMES = ("event", "vectorized")

_HOMES = {
    **dict.fromkeys(("CustomerAgent", "StockingAgent"), ".agents"),
    **dict.fromkeys(("Decision", "Reward", "SupplyChainModel"), ".model"),
    "InitialState": ".initial",
    **dict.fromkeys(
        (
            "EXTERNAL",
            "OPTIONAL_FIELDS",
            "Action",
            "External",
            "InventoryObservation",
            "ObservationBatch",
            "Policy",
            "PolicyError",
            "StatefulPolicy",
        ),
        ".policy",
    ),
    **dict.fromkeys(("COST_COLUMNS", "EDGE_COLUMNS", "STOCK_COLUMNS", "Recorder"), ".recorder"),
    **dict.fromkeys(("Purpose", "stream"), ".streams"),
    "VectorizedSupplyChainModel": ".vector",
}


def __getattr__(name: str) -> Any:
    if name == "ENGINES":
        from .model import SupplyChainModel
        from .vector import VectorizedSupplyChainModel

        engines = dict(
            zip(ENGINE_NAMES, (SupplyChainModel, VectorizedSupplyChainModel), strict=True)
        )
        globals()["ENGINES"] = engines
        return engines
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = [
    "COST_COLUMNS",
    "EDGE_COLUMNS",
    "ENGINES",
    "ENGINE_NAMES",
    "EXTERNAL",
    "OPTIONAL_FIELDS",
    "STOCK_COLUMNS",
    "Action",
    "CustomerAgent",
    "Decision",
    "External",
    "InitialState",
    "InventoryObservation",
    "ObservationBatch",
    "Policy",
    "PolicyError",
    "Purpose",
    "Recorder",
    "Reward",
    "StatefulPolicy",
    "StockingAgent",
    "SupplyChainModel",
    "VectorizedSupplyChainModel",
    "stream",
]
