"""Builders of common supply network shapes, each returning a validated ``nx.DiGraph``.

All builders use the attribute names of :mod:`networks.attributes`; units: quantities in
units of stock, times in periods, costs in money.

Conventions shared by the builders:

* Options are keyword-only. A *per-stage* option takes one value for every stocking node or
  a list with one value per stocking node, **retailer first** (the order of each builder's
  docstring). Lead-time options (``lead_time``, ``order_lead_time``) describe the edge(s)
  *into* each stocking node.
* The customer-facing options ``backlog_cost``, ``lost_sales_cost``, ``price`` and
  ``shortage`` given as one value apply to retailers only (upstream stages get 0 and
  ``"backlog"``); give a list to set them at every stage.
* A value may also be a per-product mapping ``{product: value}`` where
  :mod:`networks.attributes` allows it (then pass ``products=[...]``).
* Every node gets ``echelon``: 0 at nodes without customers (retailers), otherwise one more
  than the largest echelon of its customers; so an external source sits one above its
  customer(s).
* A bad argument raises ``ValueError`` naming the argument.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .attributes import DEFAULT_PRODUCTS, ROLES, SHORTAGE_MODES
from .distributions import parse_distribution
from .validate import validate

__all__ = [
    "BEER_GAME_DEMAND",
    "assembly",
    "beer_game",
    "distribution",
    "echelons",
    "from_edges",
    "layered",
    "serial",
    "set_echelons",
    "two_per_echelon",
]

#: The classic beer-game customer demand: 4 cases per week for 4 weeks, then 8 (a trace of
#: 1000 weeks; drawing past its end is an error).
BEER_GAME_DEMAND: dict[str, Any] = {"dist": "trace", "values": [4] * 4 + [8] * 996}

_DEFAULT_DEMAND: dict[str, Any] = {"dist": "poisson", "mean": 4}


# ---------------------------------------------------------------------------- argument checks
def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _per_stage(name: str, value: Any, n: int) -> list[Any]:
    """One value per stocking node: a list of length ``n`` or one value repeated."""
    if _is_list(value):
        if len(value) != n:
            raise ValueError(
                f"{name}: expected one value or a list of {n} (one per stocking node, "
                f"retailer first), got a list of {len(value)}"
            )
        return list(value)
    return [value] * n


def _check_value(name: str, value: Any, *, positive: bool = False, inf: bool = False) -> None:
    """A number (or a per-product mapping of numbers) >= 0 (> 0 when ``positive``)."""
    if isinstance(value, Mapping):
        for product, v in value.items():
            _check_value(f"{name}[{product!r}]", v, positive=positive, inf=inf)
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name}: must be a number, got {type(value).__name__} {value!r}")
    if math.isinf(value) and not (inf and value > 0):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")


def _numbers(
    name: str, value: Any, n: int, *, positive: bool = False, inf: bool = False
) -> list[Any]:
    values = [_python(v) for v in _per_stage(name, value, n)]
    for i, v in enumerate(values):
        _check_value(f"{name}[{i}]" if _is_list(value) else name, v, positive=positive, inf=inf)
    return values


def _python(value: Any) -> Any:
    """numpy scalars as Python numbers (also inside a per-product mapping)."""
    if isinstance(value, Mapping):
        return {k: _python(v) for k, v in value.items()}
    return value.item() if isinstance(value, np.generic) else value


def _check_distribution(name: str, spec: Any) -> None:
    """A declaration (or a per-product mapping of declarations); DistributionError names
    ``name`` and is a ValueError."""
    if isinstance(spec, Mapping) and "dist" not in spec:
        if not spec:
            raise ValueError(f"{name}: an empty per-product mapping declares no demand")
        for product, s in spec.items():
            parse_distribution(s, f"{name}[{product!r}]")
    else:
        parse_distribution(spec, name)


def _distributions(name: str, value: Any, n: int) -> list[Any]:
    values = _per_stage(name, value, n)
    for i, v in enumerate(values):
        _check_distribution(f"{name}[{i}]" if _is_list(value) else name, v)
    return values


def _shortages(value: Any, n: int) -> list[Any]:
    values = _per_stage("shortage", value, n)
    for v in values:
        modes = v.values() if isinstance(v, Mapping) else [v]
        for mode in modes:
            if mode not in SHORTAGE_MODES:
                raise ValueError(
                    f"shortage: must be one of {', '.join(map(repr, SHORTAGE_MODES))}, got {mode!r}"
                )
    return values


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _names(name: str, value: Sequence[Any] | None, default: list[str]) -> list[Any]:
    if value is None:
        return default
    if isinstance(value, str) or not _is_list(value) or len(value) != len(default):
        raise ValueError(f"{name}: expected a list of {len(default)} node names, got {value!r}")
    return list(value)


def _unique(names: list[Any]) -> None:
    seen: set[Any] = set()
    for n in names:
        if n in seen:
            raise ValueError(f"names: node name {n!r} is used twice; node names must be unique")
        seen.add(n)


def _products(value: Sequence[str] | None) -> list[str]:
    if value is None:
        return list(DEFAULT_PRODUCTS)
    if isinstance(value, str) or not _is_list(value) or not value:
        raise ValueError(f"products: expected a non-empty list of product names, got {value!r}")
    return list(value)


def _customer_facing(values: list[Any], given: Any, roles: list[str], off: Any) -> list[Any]:
    """A scalar option applies at retailers only (``off`` elsewhere); a list is as given."""
    if _is_list(given):
        return values
    return [v if role == "retailer" else off for v, role in zip(values, roles, strict=True)]


# ---------------------------------------------------------------------------- common assembly
def _stocking(
    graph: nx.DiGraph,
    nodes: list[Any],
    roles: list[str],
    *,
    holding_cost: Any,
    backlog_cost: Any,
    lost_sales_cost: Any,
    shortage: Any,
    initial_stock: Any,
    price: Any,
    capacity: Any,
) -> None:
    """Add the stocking nodes with their per-stage attributes (lists are retailer first)."""
    n = len(nodes)
    holding = _numbers("holding_cost", holding_cost, n)
    backlog = _customer_facing(_numbers("backlog_cost", backlog_cost, n), backlog_cost, roles, 0.0)
    lost = _customer_facing(
        _numbers("lost_sales_cost", lost_sales_cost, n), lost_sales_cost, roles, 0.0
    )
    prices = _customer_facing(_numbers("price", price, n), price, roles, 0.0)
    modes = _customer_facing(_shortages(shortage, n), shortage, roles, "backlog")
    stock = _numbers("initial_stock", initial_stock, n)
    caps = _numbers("capacity", capacity, n, positive=True, inf=True)
    for k, node in enumerate(nodes):
        attrs: dict[str, Any] = {
            "role": roles[k],
            "shortage": modes[k],
            "initial_stock": stock[k],
            "holding_cost": holding[k],
            "backlog_cost": backlog[k],
            "lost_sales_cost": lost[k],
            "price": prices[k],
        }
        if roles[k] == "manufacturer" or _is_list(capacity):
            attrs["capacity"] = caps[k]
        graph.add_node(node, **copy.deepcopy(attrs))


def _local_rates(echelon_rates: Any, n: int) -> list[float]:
    """Local (installation) holding costs from echelon rates, retailer first: stage ``k``'s
    rate is the sum of the echelon rates of stages ``k .. n - 1`` (it and those above)."""
    rates = _numbers("echelon_holding_cost", echelon_rates, n)
    if any(isinstance(r, Mapping) for r in rates):
        raise ValueError(
            "echelon_holding_cost: per-product mappings are not supported; give holding_cost "
            "per product instead"
        )
    return [float(sum(rates[k:])) for k in range(n)]


def _edge_options(lead_time: Any, order_lead_time: Any, n: int) -> tuple[list[Any], list[Any]]:
    leads = _distributions("lead_time", lead_time, n)
    info = _numbers("order_lead_time", order_lead_time, n)
    return leads, info


def echelons(graph: nx.DiGraph, given: Mapping[Any, int] | None = None) -> dict[Any, int]:
    """The echelon of every node: 0 at nodes without customers, else one more than the
    largest echelon among the node's customers (successors).

    Args:
        graph: an acyclic network.
        given: echelons to keep as they are (and to build on upstream).
    """
    given = given or {}
    out: dict[Any, int] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        out[node] = given.get(node, 1 + max((out[s] for s in graph.successors(node)), default=-1))
    return out


def set_echelons(graph: nx.DiGraph, *, overwrite: bool = True) -> nx.DiGraph:
    """Set node attribute ``echelon`` to :func:`echelons`.

    Args:
        graph: an acyclic network.
        overwrite: replace existing values (``False`` keeps them and uses them upstream).

    Returns:
        ``graph`` itself.
    """
    kept = {} if overwrite else dict(graph.nodes(data="echelon", default=None))
    kept = {node: value for node, value in kept.items() if value is not None}
    nx.set_node_attributes(graph, echelons(graph, kept), "echelon")
    return graph


def _finish(graph: nx.DiGraph) -> nx.DiGraph:
    set_echelons(graph)
    validate(graph)
    return graph


# ---------------------------------------------------------------------------- builders
def serial(
    n_stages: int,
    *,
    names: Sequence[Any] | None = None,
    roles: Sequence[str] | None = None,
    source: Any = "source",
    lead_time: Any = 2,
    order_lead_time: Any = 0,
    holding_cost: Any = None,
    echelon_holding_cost: Any = None,
    backlog_cost: Any = 9.0,
    lost_sales_cost: Any = 0.0,
    shortage: Any = "backlog",
    initial_stock: Any = 0,
    demand: Any = _DEFAULT_DEMAND,
    price: Any = 0.0,
    capacity: Any = math.inf,
    products: Sequence[str] | None = None,
) -> nx.DiGraph:
    """A serial chain ``source -> stageN -> ... -> stage1``; stage 1 is the retailer.

    Per-stage options take one value or a list of ``n_stages`` values, stage 1 (the
    retailer) first. ``lead_time[k]`` and ``order_lead_time[k]`` are on the edge into stage
    ``k + 1`` (the last one on ``source -> stageN``).

    Args:
        n_stages: number of stocking stages (>= 1).
        names: stage names, retailer first (default ``stage1 .. stageN``).
        roles: stage roles, retailer first (default: ``retailer``, then ``warehouse``, the
            top stage ``manufacturer``; a single stage is a retailer).
        source: name of the external source node (role ``supplier``) feeding the top stage.
        lead_time: shipping lead time in periods: a number or a distribution declaration.
        order_lead_time: information delay of orders in periods.
        holding_cost: money per unit on hand per period at the stage (the installation or
            local rate; default 1).
        echelon_holding_cost: instead of ``holding_cost``, the echelon rates of the
            Clark–Scarf literature (the value added at each stage), money per unit per
            period: stage ``k``'s local rate is the sum of the echelon rates of stage ``k``
            and every stage above it, so ``[1, 1, 1, 1]`` gives local rates
            ``[4, 3, 2, 1]``. Give one of the two.
        backlog_cost: money per unit backlogged per period (a scalar: retailer only; default
            9, a 90% critical ratio against the default holding cost 1).
        lost_sales_cost: money per unit of lost customer demand (a scalar: retailer only).
        shortage: ``"backlog"`` or ``"lost_sales"`` for unmet customer demand (a scalar:
            retailer only).
        initial_stock: units on hand at time 0.
        demand: customer demand per period at the retailer (units): a distribution
            declaration or a per-product mapping of them.
        price: money per unit sold to customers (a scalar: retailer only).
        capacity: units per period a manufacturer can produce (``inf``: unlimited; a scalar
            is set on manufacturers only; a list sets every stage's, see
            :mod:`networks.attributes`).
        products: product names (graph attribute ``products``; default ``["item"]``).

    Returns:
        The validated network.

    Raises:
        ValueError: an argument is invalid (the message names it).
    """
    n = _count("n_stages", n_stages)
    stage_names = _names("names", names, [f"stage{k + 1}" for k in range(n)])
    default_roles = ["retailer"] + ["warehouse"] * (n - 2) + ["manufacturer"] * (n > 1)
    stage_roles = _names("roles", roles, default_roles)
    for role in stage_roles:
        if role not in ROLES:
            raise ValueError(f"roles: unknown role {role!r}; expected one of {', '.join(ROLES)}")
    _unique([*stage_names, source])
    _check_distribution("demand", demand)
    leads, info = _edge_options(lead_time, order_lead_time, n)
    if echelon_holding_cost is None:
        holding_cost = 1.0 if holding_cost is None else holding_cost
    elif holding_cost is not None:
        raise ValueError(
            "holding_cost, echelon_holding_cost: give one of them (local rates are the sums of "
            "the echelon rates from a stage up)"
        )
    else:
        holding_cost = _local_rates(echelon_holding_cost, n)

    graph = nx.DiGraph(products=_products(products))
    graph.add_node(source, role="supplier")
    _stocking(
        graph,
        stage_names,
        stage_roles,
        holding_cost=holding_cost,
        backlog_cost=backlog_cost,
        lost_sales_cost=lost_sales_cost,
        shortage=shortage,
        initial_stock=initial_stock,
        price=price,
        capacity=capacity,
    )
    graph.nodes[stage_names[0]]["demand"] = copy.deepcopy(demand)
    upstream = [*stage_names[1:], source]
    for k in range(n - 1, -1, -1):
        graph.add_edge(
            upstream[k],
            stage_names[k],
            lead_time=copy.deepcopy(leads[k]),
            order_lead_time=info[k],
        )
    return _finish(graph)


def beer_game(
    *,
    lead_time: Any = 2,
    order_lead_time: Any = 0,
    holding_cost: Any = None,
    backlog_cost: Any = 1.0,
    initial_stock: Any = 12,
    demand: Any = BEER_GAME_DEMAND,
    **options: Any,
) -> nx.DiGraph:
    """The beer game: ``source -> factory -> distributor -> wholesaler -> retailer``.

    Textbook defaults (Sterman 1989): 12 cases on hand at every stage, holding cost 0.5 and
    backlog cost 1 per case per week **at every stage** (a scalar ``backlog_cost`` applies to
    all four stages here), shipping lead time 2 weeks, customer demand 4 per week stepping
    to 8 in week 5 (:data:`BEER_GAME_DEMAND`). The board game also delays each order by a
    week in the mail (and the factory's production request); that is
    ``order_lead_time=1``, which is not the default here so that the built-in scenarios
    keep their calibration: pass it to play the board version. A steady-state start (4 cases
    in every week of delay) needs the edge attributes ``initial_pipeline = 4`` and, with an
    order delay, ``initial_orders = 4`` (as the library's beer-game scenarios set).

    Args:
        lead_time: shipping lead time in weeks (per stage, retailer first, or one value).
        order_lead_time: order (mailing) delay in weeks.
        holding_cost: money per case on hand per week (default 0.5; or pass
            ``echelon_holding_cost``, see :func:`serial`).
        backlog_cost: money per case backlogged per week (a scalar applies to every stage).
        initial_stock: cases on hand at week 0.
        demand: customer demand per week at the retailer.
        **options: any other keyword option of :func:`serial` (not ``names``/``roles``).

    Returns:
        The validated network, nodes ``retailer``, ``wholesaler``, ``distributor``,
        ``factory`` (a manufacturer) and ``source``.
    """
    for name in ("names", "roles"):
        if name in options:
            raise ValueError(f"{name}: fixed by beer_game; use serial() for other names/roles")
    return serial(
        4,
        names=["retailer", "wholesaler", "distributor", "factory"],
        roles=["retailer", "warehouse", "warehouse", "manufacturer"],
        lead_time=lead_time,
        order_lead_time=order_lead_time,
        holding_cost=0.5
        if holding_cost is None and "echelon_holding_cost" not in options
        else holding_cost,
        backlog_cost=backlog_cost if _is_list(backlog_cost) else [backlog_cost] * 4,
        initial_stock=initial_stock,
        demand=demand,
        **options,
    )


def distribution(
    n_retailers: int,
    *,
    retailer_names: Sequence[Any] | None = None,
    warehouse: Any = "warehouse",
    source: Any = "source",
    lead_time: Any = 2,
    order_lead_time: Any = 0,
    holding_cost: Any = 1.0,
    backlog_cost: Any = 9.0,
    lost_sales_cost: Any = 0.0,
    shortage: Any = "backlog",
    initial_stock: Any = 0,
    demand: Any = _DEFAULT_DEMAND,
    price: Any = 0.0,
    products: Sequence[str] | None = None,
) -> nx.DiGraph:
    """A two-echelon distribution tree: ``source -> warehouse -> retailer1 .. retailerN``.

    Per-stage options take one value or a list of ``n_retailers + 1`` values: the retailers
    in order, then the warehouse. ``demand`` takes one declaration for every retailer or a
    list of ``n_retailers``.

    Args:
        n_retailers: number of retailers (>= 1).
        retailer_names: default ``retailer1 .. retailerN``.
        warehouse: name of the warehouse.
        source: name of the external source feeding the warehouse.
        lead_time: shipping lead time in periods into each node (number or declaration).
        order_lead_time: information delay of orders in periods.
        holding_cost: money per unit on hand per period.
        backlog_cost: money per unit backlogged per period (a scalar: retailers only).
        lost_sales_cost: money per unit of lost demand (a scalar: retailers only).
        shortage: ``"backlog"`` or ``"lost_sales"`` (a scalar: retailers only).
        initial_stock: units on hand at time 0.
        demand: customer demand per period at each retailer (units).
        price: money per unit sold (a scalar: retailers only).
        products: product names (default ``["item"]``).

    Returns:
        The validated network.

    Raises:
        ValueError: an argument is invalid (the message names it).
    """
    n = _count("n_retailers", n_retailers)
    retailers = _names("retailer_names", retailer_names, [f"retailer{k + 1}" for k in range(n)])
    nodes = [*retailers, warehouse]
    _unique([*nodes, source])
    demands = _distributions("demand", demand, n)
    leads, info = _edge_options(lead_time, order_lead_time, n + 1)

    graph = nx.DiGraph(products=_products(products))
    graph.add_node(source, role="supplier")
    _stocking(
        graph,
        nodes,
        ["retailer"] * n + ["warehouse"],
        holding_cost=holding_cost,
        backlog_cost=backlog_cost,
        lost_sales_cost=lost_sales_cost,
        shortage=shortage,
        initial_stock=initial_stock,
        price=price,
        capacity=math.inf,
    )
    graph.add_edge(source, warehouse, lead_time=copy.deepcopy(leads[n]), order_lead_time=info[n])
    for k, r in enumerate(retailers):
        graph.nodes[r]["demand"] = copy.deepcopy(demands[k])
        graph.add_edge(warehouse, r, lead_time=copy.deepcopy(leads[k]), order_lead_time=info[k])
    return _finish(graph)


def assembly(
    n_components: int,
    *,
    bom: Any = 1,
    component_names: Sequence[Any] | None = None,
    manufacturer: Any = "manufacturer",
    retailer: Any = "retailer",
    lead_time: Any = 2,
    order_lead_time: Any = 0,
    holding_cost: Any = 1.0,
    backlog_cost: Any = 9.0,
    lost_sales_cost: Any = 0.0,
    shortage: Any = "backlog",
    initial_stock: Any = 0,
    demand: Any = _DEFAULT_DEMAND,
    price: Any = 0.0,
    capacity: Any = math.inf,
    products: Sequence[str] | None = None,
) -> nx.DiGraph:
    """An assembly network: components -> one manufacturer -> one retailer.

    Each component stage (role ``supplier``, holding stock) is fed by its own external
    source ``source_<component>``. Per-stage options take one value or a list of
    ``n_components + 2`` values in the order retailer, manufacturer, components.

    Args:
        n_components: number of component stages (>= 1).
        bom: units of each component per unit produced (> 0), on the edges
            ``component -> manufacturer``: one value or a list of ``n_components``.
        component_names: default ``component1 .. componentN``.
        manufacturer: name of the manufacturer (role ``manufacturer``).
        retailer: name of the retailer.
        lead_time: shipping (or production) lead time in periods into each node.
        order_lead_time: information delay of orders in periods.
        holding_cost: money per unit on hand per period.
        backlog_cost: money per unit backlogged per period (a scalar: retailer only).
        lost_sales_cost: money per unit of lost demand (a scalar: retailer only).
        shortage: ``"backlog"`` or ``"lost_sales"`` (a scalar: retailer only).
        initial_stock: units on hand at time 0.
        demand: customer demand per period at the retailer (units).
        price: money per unit sold (a scalar: retailer only).
        capacity: the manufacturer's production per period (a scalar: manufacturer only).
        products: product names (default ``["item"]``).

    Returns:
        The validated network.

    Raises:
        ValueError: an argument is invalid (the message names it).
    """
    n = _count("n_components", n_components)
    components = _names("component_names", component_names, [f"component{k + 1}" for k in range(n)])
    sources = [f"source_{c}" for c in components]
    nodes = [retailer, manufacturer, *components]
    _unique([*nodes, *sources])
    boms = _numbers("bom", bom, n, positive=True)
    _check_distribution("demand", demand)
    leads, info = _edge_options(lead_time, order_lead_time, n + 2)
    roles = ["retailer", "manufacturer"] + ["supplier"] * n

    graph = nx.DiGraph(products=_products(products))
    for s in sources:
        graph.add_node(s, role="supplier")
    _stocking(
        graph,
        nodes,
        roles,
        holding_cost=holding_cost,
        backlog_cost=backlog_cost,
        lost_sales_cost=lost_sales_cost,
        shortage=shortage,
        initial_stock=initial_stock,
        price=price,
        capacity=capacity,
    )
    graph.nodes[retailer]["demand"] = copy.deepcopy(demand)
    for k, (s, c) in enumerate(zip(sources, components, strict=True)):
        graph.add_edge(s, c, lead_time=copy.deepcopy(leads[k + 2]), order_lead_time=info[k + 2])
    for k, c in enumerate(components):
        graph.add_edge(
            c,
            manufacturer,
            lead_time=copy.deepcopy(leads[1]),
            order_lead_time=info[1],
            bom=boms[k],
        )
    graph.add_edge(
        manufacturer, retailer, lead_time=copy.deepcopy(leads[0]), order_lead_time=info[0]
    )
    return _finish(graph)


def _layer_names(widths: list[int]) -> list[list[str]]:
    depth = len(widths)
    out = []
    for k, w in enumerate(widths):
        if k == 0:
            out.append([f"retailer{i + 1}" for i in range(w)])
        elif k == depth - 1:
            out.append([f"manufacturer{i + 1}" for i in range(w)])
        else:
            out.append([f"warehouse{k}_{i + 1}" for i in range(w)])
    return out


def layered(
    widths: Sequence[int],
    *,
    density: float = 0.3,
    seed: int = 0,
    lead_time: Any = 2,
    order_lead_time: Any = 0,
    holding_cost: Any = 1.0,
    backlog_cost: Any = 9.0,
    lost_sales_cost: Any = 0.0,
    shortage: Any = "backlog",
    initial_stock: Any = 0,
    demand: Any = _DEFAULT_DEMAND,
    price: Any = 0.0,
    capacity: Any = math.inf,
    products: Sequence[str] | None = None,
) -> nx.DiGraph:
    """A random layered network, deterministic given ``seed``.

    Layer 0 holds ``widths[0]`` retailers (``retailer1 ..``), the middle layers warehouses
    (``warehouse<k>_<i>``), the last layer manufacturers (``manufacturer<i>``; with one
    layer, the retailers); each node of the last layer is fed by its own external source
    ``source<i>``. Between adjacent layers, a random cover first gives every node at least
    one supplier and at least one customer (``max`` of the two widths edges); every other
    pair of nodes is then linked with probability ``density``.

    Per-stage options take one value or a list of ``sum(widths)`` values, layer by layer
    from the retailers up, in name order within a layer; ``lead_time`` applies to every edge
    into the node. ``demand`` takes one declaration for every retailer or a list of
    ``widths[0]``.

    Args:
        widths: number of stocking nodes in each layer, retailers first (each >= 1).
        density: probability in (0, 1] of each edge beyond the cover (1: complete layers).
        seed: seed of the ``numpy.random.default_rng`` that draws the edges.
        lead_time: shipping lead time in periods into each node (number or declaration).
        order_lead_time: information delay of orders in periods.
        holding_cost: money per unit on hand per period.
        backlog_cost: money per unit backlogged per period (a scalar: retailers only).
        lost_sales_cost: money per unit of lost demand (a scalar: retailers only).
        shortage: ``"backlog"`` or ``"lost_sales"`` (a scalar: retailers only).
        initial_stock: units on hand at time 0.
        demand: customer demand per period at each retailer (units).
        price: money per unit sold (a scalar: retailers only).
        capacity: production per period at each manufacturer (``inf``: unlimited).
        products: product names (default ``["item"]``).

    Returns:
        The validated network.

    Raises:
        ValueError: an argument is invalid (the message names it).
    """
    if isinstance(widths, str) or not _is_list(widths) or not widths:
        raise ValueError(f"widths: expected a non-empty list of layer sizes, got {widths!r}")
    sizes = [_count(f"widths[{k}]", w) for k, w in enumerate(widths)]
    if isinstance(density, bool) or not isinstance(density, int | float) or not 0 < density <= 1:
        raise ValueError(f"density: must be a number in (0, 1], got {density!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))

    def random_links(n_upper: int, n_lower: int) -> list[tuple[int, int]]:
        pairs = np.zeros((n_upper, n_lower), dtype=bool)
        up, down = rng.permutation(n_upper), rng.permutation(n_lower)
        for j in range(max(n_upper, n_lower)):  # a cover: everyone linked at least once
            pairs[up[j % n_upper], down[j % n_lower]] = True
        pairs |= rng.random(pairs.shape) < density
        return list(zip(*np.nonzero(pairs), strict=True))

    return _layered_network(
        sizes,
        random_links,
        lead_time=lead_time,
        order_lead_time=order_lead_time,
        demand=demand,
        products=products,
        holding_cost=holding_cost,
        backlog_cost=backlog_cost,
        lost_sales_cost=lost_sales_cost,
        shortage=shortage,
        initial_stock=initial_stock,
        price=price,
        capacity=capacity,
    )


def _layered_network(
    sizes: list[int],
    links: Any,
    *,
    lead_time: Any,
    order_lead_time: Any,
    demand: Any,
    products: Sequence[str] | None,
    **stocking: Any,
) -> nx.DiGraph:
    """Stocking layers of ``sizes`` (retailers first, manufacturers last), one source per
    top-layer node, and between layers ``k`` and ``k - 1`` (from the top down) the edges
    ``links(len(upper), len(lower))`` gives as ``(upper index, lower index)`` pairs."""
    depth = len(sizes)
    layers = _layer_names(sizes)
    nodes = [n for layer in layers for n in layer]
    roles = [
        "retailer" if k == 0 else "manufacturer" if k == depth - 1 else "warehouse"
        for k, layer in enumerate(layers)
        for _ in layer
    ]
    sources = [f"source{i + 1}" for i in range(sizes[-1])]
    demands = _distributions("demand", demand, sizes[0])
    leads, info = _edge_options(lead_time, order_lead_time, len(nodes))
    position = {n: k for k, n in enumerate(nodes)}

    graph = nx.DiGraph(products=_products(products))
    graph.add_nodes_from(sources, role="supplier")
    _stocking(graph, nodes, roles, **stocking)
    for k, r in enumerate(layers[0]):
        graph.nodes[r]["demand"] = copy.deepcopy(demands[k])

    def edge(u: Any, v: Any) -> tuple[Any, Any, dict[str, Any]]:
        i = position[v]  # the lead time options describe the edges into each node
        return u, v, {"lead_time": copy.deepcopy(leads[i]), "order_lead_time": info[i]}

    edges = [edge(s, top) for s, top in zip(sources, layers[-1], strict=True)]
    for k in range(depth - 1, 0, -1):
        upper, lower = layers[k], layers[k - 1]
        edges.extend(edge(upper[i], lower[j]) for i, j in links(len(upper), len(lower)))
    graph.add_edges_from(edges)
    return _finish(graph)


def two_per_echelon(n_echelons: int, **options: Any) -> nx.DiGraph:
    """:func:`layered` with two stocking nodes in each of ``n_echelons`` layers.

    Args:
        n_echelons: number of stocking layers (>= 1).
        **options: keyword options of :func:`layered` (``density``, ``seed``, costs, ...).
    """
    return layered([2] * _count("n_echelons", n_echelons), **options)


def from_edges(
    edges: Iterable[tuple[Any, ...]],
    *,
    nodes: Mapping[Any, Mapping[str, Any]] | None = None,
    products: Sequence[str] | None = None,
) -> nx.DiGraph:
    """A network from an edge list and a node table, with roles inferred where missing.

    A node without a ``role`` gets one from its place in the graph: no predecessors ->
    ``supplier`` (an external source), no successors -> ``retailer``, otherwise
    ``warehouse``. ``echelon`` is computed for the nodes that do not give one. Attribute
    values are copied, so later changes to the arguments do not reach the graph.

    Args:
        edges: ``(u, v)`` or ``(u, v, attrs)`` tuples; goods flow from ``u`` to ``v``. Each
            edge needs a ``lead_time`` (periods), e.g. ``("w", "r", {"lead_time": 2})``.
        nodes: node attributes by node name (nodes named only here are added too).
        products: product names (graph attribute ``products``; default ``["item"]``).

    Returns:
        The validated network.

    Raises:
        ValueError: an edge tuple is malformed.
        NetworkError: the result is invalid (e.g. a retailer without ``demand``).
    """
    graph = nx.DiGraph(products=_products(products))
    for name, attrs in (nodes or {}).items():
        if not isinstance(attrs, Mapping):
            raise ValueError(f"nodes[{name!r}]: expected a mapping of attributes, got {attrs!r}")
        graph.add_node(name, **copy.deepcopy(dict(attrs)))
    for k, edge in enumerate(edges):
        if not isinstance(edge, tuple | list) or len(edge) not in (2, 3):
            raise ValueError(f"edges[{k}]: expected (u, v) or (u, v, attrs), got {edge!r}")
        attrs = edge[2] if len(edge) == 3 else {}
        if not isinstance(attrs, Mapping):
            raise ValueError(f"edges[{k}]: attributes must be a mapping, got {attrs!r}")
        graph.add_edge(edge[0], edge[1], **copy.deepcopy(dict(attrs)))
    for node, data in graph.nodes(data=True):
        if "role" not in data:
            if graph.in_degree(node) == 0:
                data["role"] = "supplier"
            elif graph.out_degree(node) == 0:
                data["role"] = "retailer"
            else:
                data["role"] = "warehouse"
    validate(graph)
    return set_echelons(graph, overwrite=False)
