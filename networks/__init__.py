"""Supply network graphs: builders, file formats, validation (no simulation here)."""

from __future__ import annotations

from .attributes import (
    DEFAULT_PRODUCTS,
    EDGE_DEFAULTS,
    EDGE_REQUIRED,
    NODE_DEFAULTS,
    NODE_REQUIRED,
    ROLES,
    SHORTAGE_MODES,
    is_source,
    node_value,
    products,
)
from .builders import (
    BEER_GAME_DEMAND,
    assembly,
    beer_game,
    distribution,
    echelons,
    from_edges,
    layered,
    serial,
    set_echelons,
    two_per_echelon,
)
from .distributions import Distribution, DistributionError, parse_distribution
from .generators import random_network
from .guaranteed_service import (
    GuaranteedServicePlan,
    base_stock_levels,
    demand_moments,
    plan_safety_stocks,
    steady_state_start,
)
from .io import (
    NetworkFileError,
    csv_paths,
    read_csv,
    read_graphml,
    read_json,
    write_csv,
    write_graphml,
    write_json,
)
from .validate import NetworkError, check_edge_attribute, check_node_attribute, validate
from .willems import WILLEMS_CLASSIFICATIONS, read_willems

__all__ = [
    "BEER_GAME_DEMAND",
    "DEFAULT_PRODUCTS",
    "EDGE_DEFAULTS",
    "EDGE_REQUIRED",
    "NODE_DEFAULTS",
    "NODE_REQUIRED",
    "ROLES",
    "SHORTAGE_MODES",
    "WILLEMS_CLASSIFICATIONS",
    "Distribution",
    "DistributionError",
    "GuaranteedServicePlan",
    "NetworkError",
    "NetworkFileError",
    "assembly",
    "base_stock_levels",
    "beer_game",
    "check_edge_attribute",
    "check_node_attribute",
    "csv_paths",
    "demand_moments",
    "distribution",
    "echelons",
    "from_edges",
    "is_source",
    "layered",
    "node_value",
    "parse_distribution",
    "plan_safety_stocks",
    "products",
    "random_network",
    "read_csv",
    "read_graphml",
    "read_json",
    "read_willems",
    "serial",
    "set_echelons",
    "steady_state_start",
    "two_per_echelon",
    "validate",
    "write_csv",
    "write_graphml",
    "write_json",
]
