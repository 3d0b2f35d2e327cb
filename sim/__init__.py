"""The simulation engine: a SimPy event engine over NetworkX supply graphs with Mesa agents."""

from .agents import CustomerAgent, StockingAgent
from .model import SupplyChainModel
from .policy import (
    OPTIONAL_FIELDS,
    Action,
    InventoryObservation,
    ObservationBatch,
    Policy,
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
    "OPTIONAL_FIELDS",
    "STOCK_COLUMNS",
    "Action",
    "CustomerAgent",
    "InventoryObservation",
    "ObservationBatch",
    "Policy",
    "Purpose",
    "Recorder",
    "StatefulPolicy",
    "StockingAgent",
    "SupplyChainModel",
    "VectorizedSupplyChainModel",
    "stream",
]
