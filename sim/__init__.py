"""The simulation engine: a SimPy event engine over NetworkX supply graphs with Mesa agents."""

from .agents import CustomerAgent, StockingAgent
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

#: The engines by the names scenarios and benchmarks use.
ENGINES: dict[str, type[SupplyChainModel]] = {
    "event": SupplyChainModel,
    "vectorized": VectorizedSupplyChainModel,
}

__all__ = [
    "COST_COLUMNS",
    "EDGE_COLUMNS",
    "ENGINES",
    "EXTERNAL",
    "OPTIONAL_FIELDS",
    "STOCK_COLUMNS",
    "Action",
    "CustomerAgent",
    "Decision",
    "External",
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
