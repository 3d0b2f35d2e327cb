"""The attribute vocabulary of a supply network graph: one place for names and defaults.

A supply network is an ``nx.DiGraph``. Edge ``u -> v``: goods flow from ``u`` to ``v``,
orders flow back from ``v`` to ``u``. Units: quantities in units of stock, times in
periods, costs in money.

Graph attributes
    ``products``  list of product names stocked at every non-source node (default
                  ``["item"]``). Each (node, product) pair is one stock point (SKU).

Node attributes (``NODE_DEFAULTS`` gives the default of each optional one)
    ``role``            required; one of ``ROLES``. A ``supplier`` with no predecessors is an
                        external *source* with unlimited stock and no policy; every other node
                        holds stock and has a decision module.
    ``demand``          required at retailers: the customer demand per period, a distribution
                        declaration (see :mod:`networks.distributions`).
    ``shortage``        ``"backlog"`` or ``"lost_sales"``: what happens to unmet *customer*
                        demand. Orders from downstream nodes are always backlogged.
    ``customer_fill``   ``"partial"`` or ``"whole"``: at a lost-sales node, whether a customer
                        whose order exceeds the stock on hand takes what there is (the rest
                        lost) or leaves with nothing (all of it lost, as SupplyNetPy's
                        customers do). A customer is one arrival with ``arrivals="poisson"``,
                        a period's whole demand with ``arrivals="batch"``.
    ``initial_stock``   on-hand stock at time 0.
    ``holding_cost``    per unit on hand per period: the installation (local) rate (also the
                        rate for stock in transit out of this node when the model charges
                        in-transit stock, ``charge_in_transit``: goods shipped and not yet
                        received; an order still in its information delay, ``order_lead_time``,
                        is not stock in transit and is not charged). Builders such as
                        ``serial`` also accept Clark–Scarf echelon rates
                        (``echelon_holding_cost``) and convert them.
    ``backlog_cost``    per unit backlogged per period.
    ``lost_sales_cost`` per unit of lost customer demand.
    ``price``           selling price per unit sold to customers (revenue).
    ``capacity``        the most units a stocking node puts into stock per period (``inf``:
                        unlimited). At a manufacturer, the kits it assembles. At any other
                        stocking node, what it receives goes first into process (inspection,
                        put-away, processing) and at most ``capacity`` units a period move
                        from there into stock on hand, when the node serves (and, under
                        continuous review, whenever something arrives); the rest waits for
                        the next periods. Stock in process is held (holding cost) and counts
                        in the node's pipeline (ordered and not yet in stock) and in the
                        ``received`` column when it arrives. At an external source, the
                        most units it ships per period, to all its customers together: an
                        order that reaches it ships at once within what the period has
                        left, the rest waits there (counted in the ordering node's pipeline,
                        not in transit) and ships from the next periods' capacity, which
                        goes to the waiting orders first, as ``allocation`` says (oldest
                        first; in proportion to what each is owed; whole orders only: then
                        an order above the capacity never ships, nor anything behind it).
    ``storage_capacity`` the most units on hand (``inf``: unlimited). What a receipt brings
                        beyond the free room is refused and lost (the ``refused`` column): the
                        supplier shipped it, the node cannot take it. At a node with a
                        ``capacity`` that is not a manufacturer, stock on hand and in process
                        share the room. A manufacturer's component buffers and production are
                        not bounded by it.
    ``echelon``         integer echelon, 0 at retailers (set by builders; used for drawing).

Edge attributes (``EDGE_DEFAULTS``)
    ``lead_time``        required: shipping lead time in periods, a distribution declaration,
                         drawn per shipment.
    ``order_lead_time``  information delay of an order in periods (>= 0).
    ``unit_cost``        per unit ordered on this edge.
    ``fixed_cost``       per order placed on this edge (charged when the quantity is > 0).
    ``bom``              units of the supplier's stock consumed per unit produced at a
                         manufacturer (> 0).
    ``crossing``         ``False`` keeps shipments on this edge in the order they were sent.
    ``initial_pipeline`` units in transit at time 0 per period of lead time: one lot of this
                         size is received at the start of each of the periods
                         ``0 .. L - 1`` (``L`` the lead time's mean, rounded), as in a system
                         started in steady state (the beer game starts with 4 per lot).
    ``initial_orders``   the information delay's counterpart: units ordered per period of
                         ``order_lead_time`` that are still in the mail at time 0. One order
                         of this size reaches the supplier at the start of each of the periods
                         ``0 .. K - 1`` (``K`` = ``order_lead_time`` rounded), as if placed
                         ``K`` periods earlier: the supplier sees it as demand then, and the
                         ordering node counts it in its pipeline from time 0 (it is not stock
                         in transit, not charged as such, and no ordering cost). A
                         steady-state start fills both delays (the beer game: 4 and 4).

Numeric node attributes may instead be a mapping ``{product: value}`` in multi-product
networks, and ``demand`` a mapping ``{product: declaration}`` (a declaration is told apart by
its ``dist`` key). File formats that hold only scalars (GraphML, CSV) store mappings and
lists as JSON text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import networkx as nx

__all__ = [
    "CUSTOMER_FILLS",
    "DEFAULT_PRODUCTS",
    "EDGE_DEFAULTS",
    "EDGE_REQUIRED",
    "NODE_DEFAULTS",
    "NODE_REQUIRED",
    "ROLES",
    "SHORTAGE_MODES",
    "is_source",
    "node_value",
    "products",
    "sku_product",
    "split_key",
]

ROLES: tuple[str, ...] = ("supplier", "manufacturer", "warehouse", "retailer")
SHORTAGE_MODES: tuple[str, ...] = ("backlog", "lost_sales")
CUSTOMER_FILLS: tuple[str, ...] = ("partial", "whole")
DEFAULT_PRODUCTS: tuple[str, ...] = ("item",)

NODE_REQUIRED: tuple[str, ...] = ("role",)
NODE_DEFAULTS: dict[str, Any] = {
    "shortage": "backlog",
    "customer_fill": "partial",
    "initial_stock": 0.0,
    "holding_cost": 0.0,
    "backlog_cost": 0.0,
    "lost_sales_cost": 0.0,
    "price": 0.0,
    "capacity": math.inf,
    "storage_capacity": math.inf,
}
EDGE_REQUIRED: tuple[str, ...] = ("lead_time",)
EDGE_DEFAULTS: dict[str, Any] = {
    "order_lead_time": 0.0,
    "unit_cost": 0.0,
    "fixed_cost": 0.0,
    "bom": 1.0,
    "crossing": True,
    "initial_pipeline": 0.0,
    "initial_orders": 0.0,
}


def products(graph: nx.DiGraph) -> tuple[str, ...]:
    """The product names of ``graph`` (graph attribute ``products``)."""
    return tuple(graph.graph.get("products", DEFAULT_PRODUCTS))


def split_key(graph: nx.DiGraph, key: Any) -> tuple[Any, Any]:
    """A key naming stock points, as the engine reads the keys of its decision modules:
    ``(node, product)`` for a pair that is not a node of ``graph``, else ``(key, None)``: a
    node, all its products."""
    if isinstance(key, tuple) and len(key) == 2 and key not in graph:
        return key
    return key, None


def sku_product(graph: nx.DiGraph, node: Any, product: Any = None) -> str:
    """The product of stock point ``(node, product)``: ``product``, or when it is ``None`` the
    only product of a network of one.

    Raises:
        ValueError: ``product`` is not a product of the network, or it is ``None`` in a
            network of several (the message names the node and the products).
    """
    stocked = products(graph)
    if product is None and len(stocked) > 1:
        raise ValueError(
            f"node {node!r} stocks {len(stocked)} products {stocked}; name one SKU as "
            f"{(node, stocked[0])!r}"
        )
    if product is not None and product not in stocked:
        raise ValueError(f"node {node!r}: no product {product!r}; products: {stocked}")
    return stocked[0] if product is None else product


def is_source(graph: nx.DiGraph, node: Any) -> bool:
    """True for an external source: a supplier with no predecessors (unlimited stock)."""
    return graph.nodes[node].get("role") == "supplier" and graph.in_degree(node) == 0


def node_value(graph: nx.DiGraph, node: Any, name: str, product: str) -> Any:
    """The value of node attribute ``name`` for ``product`` (resolving per-product mappings
    and defaults)."""
    value = graph.nodes[node].get(name, NODE_DEFAULTS.get(name))
    if isinstance(value, Mapping) and "dist" not in value:
        return value.get(product, NODE_DEFAULTS.get(name))
    return value
