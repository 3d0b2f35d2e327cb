"""Textbook replenishment heuristics as decision modules (values with ``act(obs)``).

Every module here is a frozen, keyword-only dataclass whose fields are the policy's textbook
parameters, checked when it is built (a :class:`ValueError` names the parameter and the bad
value). ``act`` reads an :class:`~sim.policy.InventoryObservation` and returns the quantity
to order this period as a plain ``float`` (units of stock), or, for the dual-sourcing
modules, a ``tuple`` of floats aligned with ``obs.suppliers``.

``SS``, ``RQ``, ``ConstantOrder`` and ``CappedBaseStock`` decide on the inventory position
alone: each also offers ``act_position(inventory_position)``, which its ``act`` calls and
the event engine calls directly (see :mod:`sim.policy`).

Notation (all in units of stock): ``IP = obs.inventory_position = on_hand + pipeline -
backlog``; ``x^+ = max(x, 0)``.

Order-up-to levels must be ``>= 0``; reorder points may be negative (with backlogging, a
reorder point of ``-1`` means "reorder only once something is owed").

The lost-sales myopic policies live in :mod:`agents.myopic`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import _checks

if TYPE_CHECKING:  # sim is imported only for type hints: agents needs no engine
    import networkx as nx

    from sim.policy import InventoryObservation, ObservationBatch

__all__ = [
    "RQ",
    "SS",
    "BaseStock",
    "CappedBaseStock",
    "CappedDualIndex",
    "ConstantOrder",
    "DemandTrackingBaseStock",
    "DemandTrackingSS",
    "DualIndex",
    "EchelonBaseStock",
    "Sterman",
    "StermanBatch",
    "StermanRunner",
    "TailoredBaseSurge",
]


# ---------------------------------------------------------------------- single sourcing
@dataclass(frozen=True, kw_only=True, slots=True)
class BaseStock:
    """Installation base-stock (order-up-to) policy.

    Reference: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), ch. 4.

    Decision rule: ``q_t = (level - inventory_position)^+``.

    Give exactly one of the three ways to set the level:

    Attributes:
        level: the base-stock level ``S`` (units of stock), ``>= 0``, of every stock point
            that uses this module.
        levels: a level per node (units, ``>= 0``), e.g. a guaranteed-service plan's
            (:func:`networks.plan_safety_stocks`); one module serves a whole network, so
            the vectorized engine decides each echelon in one call. On the copies of a
            :class:`~sim.vector.VectorizedSupplyChainModel` (``copies=...``), node ``v`` of
            copy ``k``, named ``(k, v)``, takes ``v``'s level unless ``(k, v)`` has its own.
        service_level: a probability in (0, 1): the levels are computed from the network
            when the scenario binds the module (:meth:`bind`), by
            :func:`networks.base_stock_levels` (mean and variance of demand through the bill
            of materials and lead times).
    """

    level: float | None = None
    levels: Mapping[Any, float] | None = field(default=None, hash=False)
    service_level: float | None = None
    # the levels of one echelon's nodes, by the node list the vectorized engine passes (the
    # same list every period), so that a period costs no lookup per node
    _by_batch: dict[int, tuple[list, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        given = [k for k in ("level", "levels", "service_level") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"level: give exactly one of level, levels or service_level, got "
                f"{', '.join(given) or 'none'}"
            )
        if self.level is not None:
            _checks.number("level", self.level, at_least=0)
        elif self.levels is not None:
            for node, value in self.levels.items():
                _checks.number(f"levels[{node!r}]", value, at_least=0)
        else:
            _checks.number("service_level", self.service_level, above=0, at_most=1)
            if self.service_level >= 1:
                raise ValueError(f"service_level: must be < 1, got {self.service_level!r}")

    def bind(self, graph: nx.DiGraph, node: Any) -> BaseStock:
        """This module for ``node``: itself, or with ``service_level`` one module holding the
        levels of every stock point of ``graph`` (the same module for all of them)."""
        if self.service_level is None:
            return self
        return _levels_module(graph, self.service_level)

    def level_of(self, node: Any) -> float:
        """The base-stock level of ``node`` (units)."""
        if self.level is not None:
            return self.level
        if self.levels is None:
            raise ValueError(
                "BaseStock(service_level=...) must be bound to a network first "
                "(a scenario does it; in Python: BaseStock(levels=networks.base_stock_levels(g, p)))"
            )
        levels = self.levels
        if node in levels:
            return levels[node]
        if type(node) is tuple and len(node) == 2 and node[1] in levels:
            return levels[node[1]]  # node v of a copy k, named (k, v)
        raise ValueError(f"levels: no base-stock level for node {node!r}")

    def act(self, obs: InventoryObservation) -> float:
        return float(max(self.level_of(obs.node) - obs.inventory_position, 0.0))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        if self.level is not None:
            return np.maximum(self.level - obs.inventory_position, 0.0)
        cached = self._by_batch.get(id(obs.nodes))
        if cached is None or cached[0] is not obs.nodes:
            if len(self._by_batch) > 64:  # lists of models run earlier
                self._by_batch.clear()
            levels = np.fromiter((self.level_of(n) for n in obs.nodes), float, len(obs.nodes))
            cached = self._by_batch[id(obs.nodes)] = (obs.nodes, levels)
        return np.maximum(cached[1] - obs.inventory_position, 0.0)


def _levels_module(graph: nx.DiGraph, service_level: float) -> BaseStock:
    """One :class:`BaseStock` with the levels of every stock point of ``graph``, made once per
    graph object and service level."""
    from networks import base_stock_levels

    bound = _BOUND.setdefault(graph, {})
    if service_level not in bound:
        bound[service_level] = BaseStock(levels=base_stock_levels(graph, service_level))
    return bound[service_level]


_BOUND: weakref.WeakKeyDictionary[nx.DiGraph, dict[float, BaseStock]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, kw_only=True, slots=True)
class EpochBaseStock:
    """Base-stock levels by review epoch, for reviews at uneven intervals.

    Reference: the periodic-review base-stock policy (Zipkin, *Foundations of Inventory
    Management*, 2000, ch. 6) with a level per epoch: an order placed at an epoch must cover
    the lead time plus the time to the next review, which differs by epoch.

    Decision rule: in period ``t`` with ``t % cycle == epochs[k]``, ``q_t = (levels[k] -
    inventory_position)^+``; in the other periods, nothing.

    Attributes:
        levels: the base-stock level of each epoch (units of stock), ``>= 0``.
        epochs: the periods of the cycle in which the node reviews, increasing.
        cycle: the review cycle (periods), ``>= 1``.
    """

    levels: tuple[float, ...]
    epochs: tuple[int, ...]
    cycle: int

    def __post_init__(self) -> None:
        _checks.integer("cycle", self.cycle, at_least=1)
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "epochs", tuple(self.epochs))
        for level in self.levels:
            _checks.number("levels", level, at_least=0)
        for epoch in self.epochs:
            _checks.integer("epochs", epoch, at_least=0)
        if not self.epochs or list(self.epochs) != sorted(set(self.epochs)):
            raise ValueError(f"epochs: must be increasing and not empty, got {list(self.epochs)}")
        if self.epochs[-1] >= self.cycle:
            raise ValueError(
                f"epochs: must be periods of the cycle 0..{self.cycle - 1}, got {list(self.epochs)}"
            )
        if len(self.levels) != len(self.epochs):
            raise ValueError(
                f"levels: give one per epoch ({len(self.epochs)}), got {list(self.levels)}"
            )

    def act(self, obs: InventoryObservation) -> float:
        phase = obs.period % self.cycle
        if phase not in self.epochs:
            return 0.0
        level = self.levels[self.epochs.index(phase)]
        return float(max(level - obs.inventory_position, 0.0))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        phase = obs.period % self.cycle  # one period for the whole batch
        if phase not in self.epochs:
            return np.zeros_like(obs.inventory_position)
        level = self.levels[self.epochs.index(phase)]
        return np.maximum(level - obs.inventory_position, 0.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class EchelonBaseStock:
    """Echelon base-stock policy for serial and tree networks.

    References: Clark & Scarf (1960), "Optimal policies for a multi-echelon inventory
    problem", Management Science 6(4); Chen & Zheng (1994), "Lower bounds for multi-echelon
    stochastic inventory systems", Management Science 40(11).

    Decision rule: ``q_t = (level - echelon_inventory_position)^+``, where the echelon
    inventory position is the sum of the inventory positions of this stock point and of
    every stock point downstream of it (declared in ``observes``, so the engine fills it).

    Attributes:
        level: the echelon base-stock level (units of stock), ``>= 0``.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"echelon_inventory_position"})

    level: float

    def __post_init__(self) -> None:
        _checks.number("level", self.level, at_least=0)

    def act(self, obs: InventoryObservation) -> float:
        echelon = obs.echelon_inventory_position
        if echelon is None:
            raise ValueError(
                f"EchelonBaseStock at node {obs.node!r}: obs.echelon_inventory_position is "
                "None; the engine fills it only for modules whose `observes` lists it"
            )
        return float(max(self.level - echelon, 0.0))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        return np.maximum(self.level - obs.echelon_inventory_position, 0.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class SS:
    """(s, S) policy: when the inventory position is at or below ``s``, order up to ``S``.

    Reference: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), §4.4,
    whose convention ("falls to or below s", also stockpyl's ``IP <= reorder_point``) is
    the one used here; Scarf (1960) and Zipkin (2000) trigger on ``IP < s`` instead, which
    for integer quantities is this module with ``s - 1``.

    Decision rule: ``q_t = S - inventory_position`` if ``inventory_position <= s``, else 0.

    Attributes:
        s: the reorder point (units of stock); any finite number ``< S``.
        S: the order-up-to level (units of stock), ``>= 0``.
    """

    s: float
    S: float

    def __post_init__(self) -> None:
        _checks.number("s", self.s)
        _checks.number("S", self.S, at_least=0)
        if not self.s < self.S:
            raise ValueError(f"s: must be < S ({self.S!r}), got {self.s!r}")

    def act(self, obs: InventoryObservation) -> float:
        return self.act_position(obs.inventory_position)

    def act_position(self, ip: float) -> float:
        return float(self.S - ip) if ip <= self.s else 0.0

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        ip = obs.inventory_position
        return np.where(ip <= self.s, self.S - ip, 0.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandTrackingBaseStock:
    """Base-stock policy whose level follows the demand: a non-stationary base stock.

    Reference: the non-stationary base-stock policy that Liu, Hu, Peng & Yang (2023),
    "Multi-agent deep reinforcement learning for multi-echelon inventory management", set
    against HAPPO on non-stationary (jump-diffusion) demand. Their exact form is not at hand;
    this is the structure: an order-up-to level of the expected demand over the protection
    period plus safety stock (Snyder & Shen, 2019, §4.3), with the last demand seen as the
    forecast of each period's demand (the best forecast when demand is a random walk).

    Decision rule: ``q_t = (level + per_demand * demand - inventory_position)^+``, with
    ``demand`` the demand the stock point saw last (:attr:`~sim.policy.
    InventoryObservation.demand`: customer demand at a retailer, orders received
    upstream). ``per_demand = 0`` is :class:`BaseStock`.

    Attributes:
        level: the safety stock (units of stock); any finite number (the level is the sum).
        per_demand: periods of demand covered (``>= 0``), about the lead time plus one
            review period.
    """

    level: float
    per_demand: float

    def __post_init__(self) -> None:
        _checks.number("level", self.level)
        _checks.number("per_demand", self.per_demand, at_least=0)

    def act(self, obs: InventoryObservation) -> float:
        return float(max(self.level + self.per_demand * obs.demand - obs.inventory_position, 0.0))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        return np.maximum(self.level + self.per_demand * obs.demand - obs.inventory_position, 0.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class DemandTrackingSS:
    """(s, S) policy whose two levels follow the demand: a non-stationary (s, S) policy.

    Reference: the non-stationary (s, S) policy of Liu, Hu, Peng & Yang (2023) (see
    :class:`DemandTrackingBaseStock`; their exact form is not at hand), here both levels
    shifted by ``per_demand`` times the last demand seen, the trigger as :class:`SS`'s.

    Decision rule: with ``shift = per_demand * demand``, ``q_t = S + shift -
    inventory_position`` if ``inventory_position <= s + shift``, else 0. ``per_demand = 0``
    is :class:`SS`.

    Attributes:
        s: the reorder point's constant part (units of stock); any finite number ``< S``.
        S: the order-up-to level's constant part (units of stock); any finite number.
        per_demand: periods of demand the levels move by (``>= 0``).
    """

    s: float
    S: float
    per_demand: float

    def __post_init__(self) -> None:
        _checks.number("s", self.s)
        _checks.number("S", self.S)
        _checks.number("per_demand", self.per_demand, at_least=0)
        if not self.s < self.S:
            raise ValueError(f"s: must be < S ({self.S!r}), got {self.s!r}")

    def act(self, obs: InventoryObservation) -> float:
        shift = self.per_demand * obs.demand
        ip = obs.inventory_position
        return float(self.S + shift - ip) if ip <= self.s + shift else 0.0

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        shift = self.per_demand * obs.demand
        ip = obs.inventory_position
        return np.where(ip <= self.s + shift, self.S + shift - ip, 0.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class RQ:
    """(r, Q) policy with periodic review (the (r, nQ) form): order in batches of ``Q``.

    Reference: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), ch. 5;
    Hadley & Whitin (1963). As in Snyder & Shen the trigger is ``IP <= r``.

    Decision rule: if ``inventory_position <= r``, order ``n * Q`` with ``n`` the smallest
    positive integer such that ``inventory_position + n * Q > r``, i.e.
    ``n = floor((r - inventory_position) / Q) + 1``; else 0.

    Attributes:
        reorder_point: ``r`` (units of stock); any finite number.
        quantity: the batch size ``Q`` (units of stock), ``> 0``.
    """

    reorder_point: float
    quantity: float

    def __post_init__(self) -> None:
        _checks.number("reorder_point", self.reorder_point)
        _checks.number("quantity", self.quantity, above=0)

    def act(self, obs: InventoryObservation) -> float:
        return self.act_position(obs.inventory_position)

    def act_position(self, ip: float) -> float:
        r, q = self.reorder_point, self.quantity
        if ip > r:
            return 0.0
        # n = floor((r - IP) / Q) + 1, guarded against rounding (0.1 + 0.2 > 0.3 in floats)
        tol = 1e-9 * max(1.0, abs(r), abs(ip))
        n = math.floor((r - ip) / q) + 1
        while ip + n * q <= r + tol:
            n += 1
        while n > 1 and ip + (n - 1) * q > r + tol:
            n -= 1
        return float(n * q)

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        # act's steps elementwise (the same float operations, so the same bits)
        ip, r, q = obs.inventory_position, self.reorder_point, self.quantity
        tol = 1e-9 * np.maximum(max(1.0, abs(r)), np.abs(ip))
        n = np.floor((r - ip) / q) + 1
        while (up := ip + n * q <= r + tol).any():
            n = np.where(up, n + 1, n)
        while (down := (n > 1) & (ip + (n - 1) * q > r + tol)).any():
            n = np.where(down, n - 1, n)
        return np.where(ip > r, 0.0, n * q)


@dataclass(frozen=True, kw_only=True, slots=True)
class ConstantOrder:
    """Constant-order policy: the same quantity every period, whatever the state.

    References: Reiman (2004); Goldberg, Katz-Rogozhnikov, Lu, Sharma & Squillante (2016),
    "Asymptotic optimality of constant-order policies for lost sales inventory models with
    large lead times", Mathematics of Operations Research 41(3).

    Decision rule: ``q_t = quantity``.

    Attributes:
        quantity: units of stock per period, ``>= 0``.
    """

    quantity: float

    def __post_init__(self) -> None:
        _checks.number("quantity", self.quantity, at_least=0)

    def act(self, obs: InventoryObservation) -> float:
        return float(self.quantity)

    def act_position(self, ip: float) -> float:
        return float(self.quantity)

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        return np.full(len(obs.on_hand), float(self.quantity))


@dataclass(frozen=True, kw_only=True, slots=True)
class CappedBaseStock:
    """Capped base-stock policy for lost-sales systems.

    Reference: Xin (2021), "Understanding the performance of capped base-stock policies in
    lost-sales inventory models", Operations Research 69(1).

    Decision rule: ``q_t = min(cap, (level - inventory_position)^+)``.

    Attributes:
        level: the base-stock level ``S`` (units of stock), ``>= 0``.
        cap: the largest order ``r`` (units of stock per period), ``>= 0``.
    """

    level: float
    cap: float

    def __post_init__(self) -> None:
        _checks.number("level", self.level, at_least=0)
        _checks.number("cap", self.cap, at_least=0)

    def act(self, obs: InventoryObservation) -> float:
        return self.act_position(obs.inventory_position)

    def act_position(self, ip: float) -> float:
        return float(min(self.cap, max(self.level - ip, 0.0)))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        return np.minimum(self.cap, np.maximum(self.level - obs.inventory_position, 0.0))


# ---------------------------------------------------------------------- dual sourcing
def _aligned(
    obs: InventoryObservation, regular: Any, expedited: Any, q_regular: float, q_expedited: float
) -> tuple[float, ...]:
    i_r = _checks.supplier_index(obs.suppliers, regular, "regular_supplier", obs.node)
    i_e = _checks.supplier_index(obs.suppliers, expedited, "expedited_supplier", obs.node)
    out = [0.0] * len(obs.suppliers)
    out[i_r] = float(q_regular)
    out[i_e] = float(q_expedited)
    return tuple(out)


def _positive(x: np.ndarray) -> np.ndarray:
    """``max(x, 0.0)`` elementwise, as Python's ``max`` picks (``-0.0`` stays ``-0.0``)."""
    return np.where(x < 0.0, 0.0, x)


class _SupplierColumns:
    """Where the regular and expedited suppliers of each stock point of a batch stand in its
    ``obs.suppliers``, worked out once per supplier list the engine passes."""

    __slots__ = ("_by_batch",)

    def __init__(self) -> None:
        self._by_batch: dict[int, tuple[list, np.ndarray, np.ndarray, int]] = {}

    def of(
        self, obs: ObservationBatch, regular: Any, expedited: Any
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Column indices of the regular and the expedited supplier per row, and the row
        width (the most suppliers of a stock point of the batch)."""
        suppliers = obs.suppliers
        if suppliers is None:
            raise ValueError(
                f"node {obs.nodes[0]!r}: obs.suppliers is None; a dual-sourcing module needs "
                "the supplier names of its batch"
            )
        cached = self._by_batch.get(id(suppliers))
        if cached is None or cached[0] is not suppliers:
            if len(self._by_batch) > 64:  # lists of models run earlier
                self._by_batch.clear()
            where = [
                (
                    _checks.supplier_index(names, regular, "regular_supplier", node),
                    _checks.supplier_index(names, expedited, "expedited_supplier", node),
                )
                for names, node in zip(suppliers, obs.nodes, strict=True)
            ]
            i_r, i_e = np.array(where, dtype=np.int64).reshape(-1, 2).T
            width = max(map(len, suppliers), default=0)
            cached = self._by_batch[id(suppliers)] = (suppliers, i_r, i_e, width)
        return cached[1], cached[2], cached[3]

    def rows(
        self,
        obs: ObservationBatch,
        regular: Any,
        expedited: Any,
        q_regular: np.ndarray | float,
        q_expedited: np.ndarray,
    ) -> np.ndarray:
        """:func:`_aligned` for a batch: one row per stock point, zero beyond its suppliers."""
        i_r, i_e, width = self.of(obs, regular, expedited)
        out = np.zeros((len(i_r), width))
        rows = np.arange(len(i_r))
        out[rows, i_r] = q_regular
        out[rows, i_e] = q_expedited
        return out

    def __reduce__(self) -> tuple:  # a cache: copies start empty
        return (_SupplierColumns, ())


def _check_suppliers(regular: Any, expedited: Any) -> None:
    _checks.supplier_name("regular_supplier", regular)
    _checks.supplier_name("expedited_supplier", expedited)
    if regular == expedited:
        raise ValueError(
            f"expedited_supplier: must differ from regular_supplier, got {expedited!r}"
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class DualIndex:
    """Dual-index policy for dual sourcing (a slow regular and a fast expedited supplier).

    Reference: Veeraraghavan & Scheller-Wolf (2008), "Now or later: a simple policy for
    effective dual sourcing in capacitated systems", Operations Research 56(4).

    Decision rule, with ``l_e = expedited_lead_time``::

        IP_e = on_hand - backlog + sum(arrivals[k] for k < l_e)
        q_e  = (expedited_level - IP_e)^+
        q_r  = (regular_level - (inventory_position + q_e))^+

    ``arrivals[k]`` is due at the start of period ``t + 1 + k``; an expedited order placed
    now arrives at the start of period ``t + l_e`` (before that period's demand, as under the
    engine's timing), so the window is ``k = 0, ..., l_e - 1``: everything due in periods
    ``t + 1, ..., t + l_e`` inclusive (shipments due at ``t`` are already on hand). Orders a
    supplier owes but has not shipped are not in ``arrivals`` and so count in ``IP`` only.

    Returns ``(q_r, q_e)`` placed at the positions of ``regular_supplier`` and
    ``expedited_supplier`` in ``obs.suppliers`` (0 for any other supplier).

    Attributes:
        regular_level: ``S_r``, the target for the full inventory position, ``>= 0`` and
            ``>= expedited_level``.
        expedited_level: ``S_e``, the target for the expedited inventory position, ``>= 0``.
        expedited_lead_time: ``l_e`` (periods), an integer ``>= 0``.
        regular_supplier: the name of the slow supplier node.
        expedited_supplier: the name of the fast supplier node.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    regular_level: float
    expedited_level: float
    expedited_lead_time: int
    regular_supplier: Any
    expedited_supplier: Any
    # the suppliers' columns per batch of stock points (the vectorized engine's)
    _columns: _SupplierColumns = field(
        default_factory=_SupplierColumns, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _checks.number("regular_level", self.regular_level, at_least=0)
        _checks.number("expedited_level", self.expedited_level, at_least=0)
        if self.regular_level < self.expedited_level:
            raise ValueError(
                f"regular_level: must be >= expedited_level ({self.expedited_level!r}), "
                f"got {self.regular_level!r}"
            )
        _checks.integer("expedited_lead_time", self.expedited_lead_time, at_least=0)
        _check_suppliers(self.regular_supplier, self.expedited_supplier)

    def act(self, obs: InventoryObservation) -> tuple[float, ...]:
        ip_e = obs.expedited_position(self.expedited_lead_time, "DualIndex")
        q_e = max(self.expedited_level - ip_e, 0.0)
        q_r = max(self.regular_level - (obs.inventory_position + q_e), 0.0)
        return _aligned(obs, self.regular_supplier, self.expedited_supplier, q_r, q_e)

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        ip_e = obs.expedited_position(self.expedited_lead_time, "DualIndex")
        q_e = _positive(self.expedited_level - ip_e)
        q_r = _positive(self.regular_level - (obs.inventory_position + q_e))
        return self._columns.rows(obs, self.regular_supplier, self.expedited_supplier, q_r, q_e)


@dataclass(frozen=True, kw_only=True, slots=True)
class CappedDualIndex:
    """Capped dual-index (CDI) policy for dual sourcing.

    Reference: Sun & Van Mieghem (2019), "Robust dual sourcing inventory management:
    optimality of capped dual index policies and smoothing", MSOM 21(4); a baseline of
    Gijsbrechts, Boute, Van Mieghem & Zhang (2022), MSOM 24(3).

    Decision rule, with ``IP_e`` as in :class:`DualIndex` and ``IP = inventory_position``
    before this period's orders (on hand minus backlog plus everything on order: with an
    instant expedited supplier, Sun & Van Mieghem's ``I_t^{t + l_r - 1}``)::

        q_e = (expedited_level - IP_e)^+
        q_r = min((regular_level - IP)^+, cap)

    Returns a tuple aligned with ``obs.suppliers`` as :class:`DualIndex` does.

    Attributes:
        regular_level: ``S_r``, the target for the inventory position, ``>= 0``.
        expedited_level: ``S_e``, the target for the expedited inventory position, ``>= 0``.
        cap: ``r``, the largest regular order (units of stock per period), ``>= 0``.
        expedited_lead_time: ``l_e`` (periods), an integer ``>= 0``.
        regular_supplier: the name of the slow supplier node.
        expedited_supplier: the name of the fast supplier node.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    regular_level: float
    expedited_level: float
    cap: float
    expedited_lead_time: int
    regular_supplier: Any
    expedited_supplier: Any
    # the suppliers' columns per batch of stock points (the vectorized engine's)
    _columns: _SupplierColumns = field(
        default_factory=_SupplierColumns, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _checks.number("regular_level", self.regular_level, at_least=0)
        _checks.number("expedited_level", self.expedited_level, at_least=0)
        _checks.number("cap", self.cap, at_least=0)
        _checks.integer("expedited_lead_time", self.expedited_lead_time, at_least=0)
        _check_suppliers(self.regular_supplier, self.expedited_supplier)

    def act(self, obs: InventoryObservation) -> tuple[float, ...]:
        ip_e = obs.expedited_position(self.expedited_lead_time, "CappedDualIndex")
        q_e = max(self.expedited_level - ip_e, 0.0)
        q_r = min(max(self.regular_level - obs.inventory_position, 0.0), self.cap)
        return _aligned(obs, self.regular_supplier, self.expedited_supplier, q_r, q_e)

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        ip_e = obs.expedited_position(self.expedited_lead_time, "CappedDualIndex")
        q_e = _positive(self.expedited_level - ip_e)
        wanted = _positive(self.regular_level - obs.inventory_position)
        q_r = np.where(self.cap < wanted, self.cap, wanted)  # min(wanted, cap) as Python picks
        return self._columns.rows(obs, self.regular_supplier, self.expedited_supplier, q_r, q_e)


@dataclass(frozen=True, kw_only=True, slots=True)
class TailoredBaseSurge:
    """Tailored base-surge (TBS) policy for dual sourcing.

    Reference: Allon & Van Mieghem (2010), "Global dual sourcing: tailored base-surge
    allocation to near- and offshore production", Management Science 56(1).

    Decision rule, with ``l_e = expedited_lead_time`` and ``IP_e`` as in :class:`DualIndex`::

        q_r = regular_quantity                      (the constant "base" order)
        q_e = (expedited_level - IP_e)^+            (the "surge", a base-stock order)
        IP_e = on_hand - backlog + sum(arrivals[k] for k < l_e)

    This period's regular order is not counted in ``IP_e`` (it arrives after the expedited
    order whenever the regular lead time exceeds ``l_e``).

    Returns a tuple aligned with ``obs.suppliers`` as :class:`DualIndex` does.

    Attributes:
        regular_quantity: the constant regular order (units of stock per period), ``>= 0``.
        expedited_level: the expedited base-stock level (units of stock), ``>= 0``.
        expedited_lead_time: ``l_e`` (periods), an integer ``>= 0``.
        regular_supplier: the name of the slow supplier node.
        expedited_supplier: the name of the fast supplier node.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    regular_quantity: float
    expedited_level: float
    expedited_lead_time: int
    regular_supplier: Any
    expedited_supplier: Any
    # the suppliers' columns per batch of stock points (the vectorized engine's)
    _columns: _SupplierColumns = field(
        default_factory=_SupplierColumns, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _checks.number("regular_quantity", self.regular_quantity, at_least=0)
        _checks.number("expedited_level", self.expedited_level, at_least=0)
        _checks.integer("expedited_lead_time", self.expedited_lead_time, at_least=0)
        _check_suppliers(self.regular_supplier, self.expedited_supplier)

    def act(self, obs: InventoryObservation) -> tuple[float, ...]:
        ip_e = obs.expedited_position(self.expedited_lead_time, "TailoredBaseSurge")
        q_e = max(self.expedited_level - ip_e, 0.0)
        return _aligned(
            obs, self.regular_supplier, self.expedited_supplier, self.regular_quantity, q_e
        )

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        ip_e = obs.expedited_position(self.expedited_lead_time, "TailoredBaseSurge")
        q_e = _positive(self.expedited_level - ip_e)
        return self._columns.rows(
            obs, self.regular_supplier, self.expedited_supplier, float(self.regular_quantity), q_e
        )


# ---------------------------------------------------------------------- behavioural
@dataclass(frozen=True, kw_only=True, slots=True)
class Sterman:
    """Anchoring-and-adjustment ordering heuristic of human beer-game players.

    Reference: Sterman (1989), "Modeling managerial behavior: misperceptions of feedback in
    a dynamic decision making experiment", Management Science 35(3), eqs. (1)–(6).

    Decision rule (stateful), with ``L^`` the expected incoming demand::

        L^_t = smoothing * demand + (1 - smoothing) * L^_{t-1},  L^_{-1} = initial_expectation
        q_t  = max(0, L^_t + stock_adjustment * (desired_stock - (on_hand - backlog)
                                                  - supply_line_weight * pipeline))

    Sterman's ``alpha_S = stock_adjustment``, ``beta = supply_line_weight`` (``alpha_SL /
    alpha_S``), ``theta = smoothing`` and ``S' = desired_stock`` (which absorbs the desired
    supply line: ``S' = S* + beta * SL*``). ``demand`` is ``obs.demand``, the demand or
    orders seen in the last completed serving step; every call updates ``L^`` with it (under
    ``decide="start"`` the first observation reports 0, nothing having been served yet).

    This value holds only the parameters: call :meth:`spawn` for a :class:`StermanRunner`
    that keeps ``L^`` (the engine does so once per stock point), or :meth:`spawn_batch` for
    a :class:`StermanBatch` that keeps it for many stock points in one array (the vectorized
    engine does so once per run). Calling :meth:`act` on the value itself raises
    :class:`TypeError`, so that state is never shared by accident.

    Attributes:
        desired_stock: ``S'`` (units of stock), ``>= 0``.
        stock_adjustment: ``alpha_S``, the fraction of the stock gap ordered per period,
            in ``[0, 1]``.
        supply_line_weight: ``beta``, the weight of the supply line, in ``[0, 1]``.
        smoothing: ``theta``, the weight of the latest demand in the expectation, in
            ``[0, 1]``.
        initial_expectation: ``L^`` before the first update (units of stock per period),
            ``>= 0``.
    """

    desired_stock: float
    stock_adjustment: float
    supply_line_weight: float
    smoothing: float
    initial_expectation: float

    def __post_init__(self) -> None:
        _checks.number("desired_stock", self.desired_stock, at_least=0)
        _checks.number("stock_adjustment", self.stock_adjustment, at_least=0, at_most=1)
        _checks.number("supply_line_weight", self.supply_line_weight, at_least=0, at_most=1)
        _checks.number("smoothing", self.smoothing, at_least=0, at_most=1)
        _checks.number("initial_expectation", self.initial_expectation, at_least=0)

    def spawn(self) -> StermanRunner:
        """A fresh runner (its own ``L^ = initial_expectation``) for one stock point and run."""
        return StermanRunner(self)

    def spawn_batch(self, stock_points: list[tuple[Any, str]]) -> StermanBatch:
        """Fresh runners of all ``stock_points`` (``(node, product)`` pairs) for one run, as
        one :class:`StermanBatch`."""
        return StermanBatch(self, stock_points)

    def act(self, obs: InventoryObservation) -> float:
        raise TypeError(
            "Sterman keeps an expected demand between periods: call spawn() once per stock "
            "point and run, and call act() on the runner it returns"
        )


class StermanRunner:
    """The per-stock-point state of a :class:`Sterman` player: the expected demand ``L^``.

    Attributes:
        params: the parameters it was spawned from.
        expected_demand: ``L^`` after the latest :meth:`act` (units of stock per period).
    """

    __slots__ = ("expected_demand", "params")

    def __init__(self, params: Sterman) -> None:
        self.params = params
        self.expected_demand = float(params.initial_expectation)

    def act(self, obs: InventoryObservation) -> float:
        p = self.params
        self.expected_demand = p.smoothing * obs.demand + (1.0 - p.smoothing) * self.expected_demand
        stock = obs.on_hand - obs.backlog
        adjustment = p.stock_adjustment * (
            p.desired_stock - stock - p.supply_line_weight * obs.pipeline
        )
        return float(max(0.0, self.expected_demand + adjustment))

    def __repr__(self) -> str:
        return f"StermanRunner({self.params!r}, expected_demand={self.expected_demand!r})"


class StermanBatch:
    """The :class:`StermanRunner` of each of several stock points, with ``L^`` in one array:
    ``act_batch`` decides for any of them at once, with the runner's float operations in the
    same order (so the same orders, to the bit).

    Args:
        params: the parameters it was spawned from.
        stock_points: the ``(node, product)`` pairs it decides for.

    Attributes:
        params: the parameters.
        stock_points: the stock points, in the order of ``expected_demand``.
        expected_demand: ``L^`` of each stock point after its latest decision (units of stock
            per period).
    """

    __slots__ = ("_by_batch", "_row", "expected_demand", "params", "stock_points")

    def __init__(self, params: Sterman, stock_points: list[tuple[Any, str]]) -> None:
        self.params = params
        self.stock_points = list(stock_points)
        self._row = {sp: k for k, sp in enumerate(self.stock_points)}
        if len(self._row) != len(self.stock_points):
            raise ValueError("stock_points: a stock point is listed twice")
        self.expected_demand = np.full(len(self.stock_points), float(params.initial_expectation))
        self._by_batch: dict[int, tuple[list, np.ndarray]] = {}

    def restart(self, stock_points: list[tuple[Any, str]]) -> None:
        """Set ``L^`` of ``stock_points`` back to ``initial_expectation`` (a new run)."""
        rows = [self._row_of(node, product) for node, product in stock_points]
        self.expected_demand[rows] = float(self.params.initial_expectation)

    def _row_of(self, node: Any, product: str) -> int:
        row = self._row.get((node, product))
        if row is None:
            raise ValueError(
                f"node {node!r} product {product!r}: not a stock point of this StermanBatch"
            )
        return row

    def _rows(self, obs: ObservationBatch) -> np.ndarray:
        cached = self._by_batch.get(id(obs.nodes))
        if cached is None or cached[0] is not obs.nodes:
            if len(self._by_batch) > 64:  # lists of batches asked for earlier
                self._by_batch.clear()
            rows = np.array(
                [self._row_of(n, p) for n, p in zip(obs.nodes, obs.products, strict=True)],
                dtype=np.int64,
            )
            cached = self._by_batch[id(obs.nodes)] = (obs.nodes, rows)
        return cached[1]

    def act(self, obs: InventoryObservation) -> float:
        row = self._row_of(obs.node, obs.product)
        runner = StermanRunner(self.params)
        runner.expected_demand = float(self.expected_demand[row])
        q = runner.act(obs)
        self.expected_demand[row] = runner.expected_demand
        return q

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        p, rows = self.params, self._rows(obs)
        expected = p.smoothing * obs.demand + (1.0 - p.smoothing) * self.expected_demand[rows]
        self.expected_demand[rows] = expected
        stock = obs.on_hand - obs.backlog
        adjustment = p.stock_adjustment * (
            p.desired_stock - stock - p.supply_line_weight * obs.pipeline
        )
        order = expected + adjustment
        return np.where(order > 0.0, order, 0.0)  # max(0.0, order) as Python picks

    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("params", "stock_points", "expected_demand")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.params, self.stock_points = state["params"], state["stock_points"]
        self._row = {sp: k for k, sp in enumerate(self.stock_points)}
        self.expected_demand = state["expected_demand"]
        self._by_batch = {}

    def __repr__(self) -> str:
        return f"StermanBatch({self.params!r}, {len(self.stock_points)} stock points)"
