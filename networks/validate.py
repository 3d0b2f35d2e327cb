"""Check a supply network graph against the attribute vocabulary before anything runs.

:func:`validate` raises :class:`NetworkError` at the first problem found; the message names
the node (``node 'w'``), the edge (``edge 'w'->'r'``) or the attribute at fault and says how
to fix it. The checks follow :mod:`networks.attributes`:

* the graph is a non-empty ``nx.DiGraph`` (not a multigraph) without cycles;
* graph attribute ``products``, when present, is a non-empty list of distinct names;
* every node has a known ``role``; every stocking (non-source) node has a supplier; every
  retailer has a ``demand``;
* every edge has a ``lead_time``;
* numbers are numbers (``bool`` is not a number): costs, stock and order lead times are
  ``>= 0`` and finite, ``bom`` and ``capacity`` are ``> 0`` (``capacity`` may be ``inf``),
  ``echelon`` is an integer ``>= 0``, ``crossing`` is a ``bool``;
* ``shortage`` is one of :data:`~networks.attributes.SHORTAGE_MODES`, ``customer_fill`` one
  of :data:`~networks.attributes.CUSTOMER_FILLS`;
* distribution declarations (``demand``, ``lead_time``) parse with
  :func:`~networks.distributions.parse_distribution`;
* per-product mappings (node attributes only) name known products.

Attribute names that are not in the vocabulary are allowed and left alone, so that users can
carry their own data (coordinates, labels, ids) on nodes and edges.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .attributes import (
    CUSTOMER_FILLS,
    DEFAULT_PRODUCTS,
    EDGE_REQUIRED,
    NODE_REQUIRED,
    ROLES,
    SHORTAGE_MODES,
)
from .distributions import DistributionError, parse_distribution

__all__ = ["NetworkError", "check_edge_attribute", "check_node_attribute", "validate"]

# Node attributes holding a number (or a per-product mapping of numbers), with their bounds.
_NODE_NUMBERS: dict[str, tuple[str, str]] = {
    # name: (bound, what the value means)
    "initial_stock": (">=0", "units of stock on hand at time 0"),
    "holding_cost": (">=0", "money per unit on hand per period"),
    "backlog_cost": (">=0", "money per unit backlogged per period"),
    "lost_sales_cost": (">=0", "money per unit of lost demand"),
    "price": (">=0", "money per unit sold"),
    "capacity": (">0 or inf", "units into stock, or shipped by a source, per period"),
    "storage_capacity": (">0 or inf", "most units on hand"),
}
_EDGE_NUMBERS: dict[str, tuple[str, str]] = {
    "order_lead_time": (">=0", "periods"),
    "unit_cost": (">=0", "money per unit ordered"),
    "fixed_cost": (">=0", "money per order placed"),
    "bom": (">0", "units of the supplier's stock per unit produced"),
    "initial_pipeline": (">=0", "units in transit per period of lead time at time 0"),
    "initial_orders": (">=0", "units ordered per period of order lead time, in the mail at time 0"),
}


class NetworkError(ValueError):
    """A supply network graph is invalid; the message names the node, edge or attribute
    at fault and the fix."""


def _is_number(value: Any) -> bool:
    """A real number; ``bool`` (also numpy's) is not a number here."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_number(value: Any, bound: str, meaning: str, where: str) -> None:
    """Raise NetworkError unless ``value`` is a number within ``bound``."""
    if not _is_number(value):
        raise NetworkError(
            f"{where}: must be a number ({meaning}), got {type(value).__name__} {value!r}"
        )
    if math.isnan(value):
        raise NetworkError(f"{where}: must be a number ({meaning}), got nan")
    if bound == ">0 or inf":
        if value <= 0:
            raise NetworkError(
                f"{where}: must be > 0 ({meaning}; use inf for unlimited), got {value!r}"
            )
        return
    if math.isinf(value):
        raise NetworkError(f"{where}: must be finite ({meaning}), got {value!r}")
    if bound == ">0" and value <= 0:
        raise NetworkError(f"{where}: must be > 0 ({meaning}), got {value!r}")
    if value < 0:
        raise NetworkError(f"{where}: must be >= 0 ({meaning}), got {value!r}")


def _check_products_key(key: Any, known: tuple[str, ...], where: str) -> None:
    if key not in known:
        raise NetworkError(
            f"{where}: unknown product {key!r} in per-product mapping; known products: "
            f"{', '.join(map(repr, known))} (graph attribute 'products')"
        )


def _check_distribution(spec: Any, where: str) -> None:
    try:
        parse_distribution(spec, where)
    except DistributionError as err:
        raise NetworkError(str(err)) from None


def _is_per_product(value: Any) -> bool:
    """A mapping that is not a distribution declaration (no ``dist`` key)."""
    return isinstance(value, Mapping) and "dist" not in value


def _check_products(graph: nx.DiGraph) -> tuple[str, ...]:
    value = graph.graph.get("products", DEFAULT_PRODUCTS)
    where = "graph attribute 'products'"
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or not value:
        raise NetworkError(
            f"{where}: must be a non-empty list of product names, got {value!r}; "
            f"e.g. graph.graph['products'] = ['item']"
        )
    for name in value:
        if not isinstance(name, str) or not name:
            raise NetworkError(f"{where}: product names must be non-empty text, got {name!r}")
    duplicates = sorted({p for p in value if list(value).count(p) > 1})
    if duplicates:
        raise NetworkError(f"{where}: duplicate product name(s) {', '.join(map(repr, duplicates))}")
    return tuple(value)


def _cycle_text(cycle: list[tuple[Any, Any]]) -> str:
    nodes = [u for u, _ in cycle] + [cycle[0][0]]
    return "->".join(repr(n) for n in nodes)


def check_node_attribute(
    name: str, value: Any, where: str, products: Sequence[str] = DEFAULT_PRODUCTS
) -> None:
    """Check one node attribute value on its own (no graph context).

    Unknown attribute names pass. Used by :func:`validate` and by callers that set
    attributes from elsewhere (e.g. scenario files).

    Args:
        name: the attribute name (``holding_cost``, ``demand``, ...).
        value: its value.
        where: the place, which starts the message (``node 'r' attribute 'demand'``).
        products: the known product names (for per-product mappings).

    Raises:
        NetworkError: ``"{where}: ..."`` naming the fault and the fix.
    """
    known = tuple(products)
    if name == "role":
        if value not in ROLES:
            raise NetworkError(
                f"{where}: unknown role {value!r}; expected one of {', '.join(ROLES)}"
            )
    elif name in _NODE_NUMBERS:
        bound, meaning = _NODE_NUMBERS[name]
        if _is_per_product(value):
            for product, v in value.items():
                _check_products_key(product, known, where)
                _check_number(v, bound, meaning, f"{where} product {product!r}")
        else:
            _check_number(value, bound, meaning, where)
    elif name in ("shortage", "customer_fill"):
        modes = SHORTAGE_MODES if name == "shortage" else CUSTOMER_FILLS
        items = value.items() if isinstance(value, Mapping) else [(None, value)]
        for product, mode in items:
            at = where
            if product is not None:
                _check_products_key(product, known, where)
                at = f"{where} product {product!r}"
            if mode not in modes:
                raise NetworkError(
                    f"{at}: must be one of {', '.join(map(repr, modes))}, got {mode!r}"
                )
    elif name == "echelon":
        if not _is_number(value) or not isinstance(value, numbers.Integral) or value < 0:
            raise NetworkError(f"{where}: must be an integer >= 0 (0 at retailers), got {value!r}")
    elif name == "demand":
        if _is_per_product(value):
            for product, spec in value.items():
                _check_products_key(product, known, where)
                _check_distribution(spec, f"{where} product {product!r}")
        else:
            _check_distribution(value, where)


def check_edge_attribute(name: str, value: Any, where: str) -> None:
    """Check one edge attribute value on its own (no graph context); unknown names pass.

    Args:
        name: the attribute name (``lead_time``, ``bom``, ...).
        value: its value.
        where: the place, which starts the message (``edge 'w'->'r' attribute 'bom'``).

    Raises:
        NetworkError: ``"{where}: ..."`` naming the fault and the fix.
    """
    if name == "lead_time":
        _check_distribution(value, where)
    elif name in _EDGE_NUMBERS:
        bound, meaning = _EDGE_NUMBERS[name]
        _check_number(value, bound, meaning, where)
    elif name == "crossing" and not isinstance(value, bool):
        raise NetworkError(f"{where}: must be True or False, got {type(value).__name__} {value!r}")


def _check_node(graph: nx.DiGraph, node: Any, known: tuple[str, ...]) -> None:
    data = graph.nodes[node]
    here = f"node {node!r}"
    for name in NODE_REQUIRED:
        if name not in data:
            raise NetworkError(
                f"{here}: missing required attribute {name!r}; set it to one of {', '.join(ROLES)}"
            )
    role = data["role"]
    check_node_attribute("role", role, f"{here} attribute 'role'", known)
    if role != "supplier" and graph.in_degree(node) == 0:
        raise NetworkError(
            f"{here} (role {role!r}) has no supplier: add an edge into it from a supplier, "
            f"or make it an external source with role 'supplier'"
        )
    demand = data.get("demand")
    if role == "retailer" and (demand is None or (_is_per_product(demand) and not demand)):
        raise NetworkError(
            f"{here} attribute 'demand': missing (required at retailers); declare the "
            f"customer demand per period, e.g. {{'dist': 'poisson', 'mean': 4}}"
        )
    for name, value in data.items():
        if name != "role" and not (name == "demand" and value is None):
            check_node_attribute(name, value, f"{here} attribute {name!r}", known)


def _check_edge(graph: nx.DiGraph, u: Any, v: Any) -> None:
    data = graph.edges[u, v]
    here = f"edge {u!r}->{v!r}"
    for name in EDGE_REQUIRED:
        if name not in data:
            raise NetworkError(
                f"{here}: missing required attribute {name!r}; declare the shipping lead time "
                f"in periods, e.g. 2 or {{'dist': 'poisson', 'mean': 2}}"
            )
    for name, value in data.items():
        check_edge_attribute(name, value, f"{here} attribute {name!r}")


def validate(graph: nx.DiGraph) -> None:
    """Check ``graph`` against the attribute vocabulary of :mod:`networks.attributes`.

    Unknown attribute names are allowed (users may carry extra data); see the module
    docstring for the full list of checks.

    Args:
        graph: the supply network (edge ``u -> v``: goods flow from ``u`` to ``v``).

    Raises:
        NetworkError: at the first problem, naming the node, edge or attribute at fault and
            the fix.
    """
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        raise NetworkError(
            f"graph: must be a networkx DiGraph (no parallel edges), got {type(graph).__name__}"
        )
    if graph.number_of_nodes() == 0:
        raise NetworkError(
            "graph: has no nodes; add nodes and edges, or use a builder such as networks.serial(4)"
        )
    # find_cycle walks every edge path from every node: minutes on a DAG with the fan-in of
    # a real assembly chain; the linear-time test first, the cycle only to name it
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        raise NetworkError(
            f"graph: has a cycle {_cycle_text(cycle)}; goods must flow one way, from sources "
            f"to retailers: remove one of these edges"
        )
    known = _check_products(graph)
    for node in graph.nodes:
        _check_node(graph, node, known)
    for u, v in graph.edges:
        _check_edge(graph, u, v)
