"""The decision-module protocol and the observation a stock point's module sees.

A decision module is any object with ``act(obs) -> action``. Heuristics are frozen
dataclasses (values); a module that keeps state between periods (a forecast, a recurrent
or transformer context) also offers ``spawn()``, which the model calls once per stock point
and run to get the object it will actually consult, so one value can be shared by many
nodes and runs without sharing state.

The action is the quantity to order this period, in units of stock:

* a number: from the node's only supplier; at a manufacturer, that many *kits* (each
  supplier is asked for ``bom`` units per kit); at a node with several suppliers that is
  not a manufacturer, from the first supplier in ``obs.suppliers``;
* a sequence of numbers, one per supplier in ``obs.suppliers`` order (multi-sourcing);
* at a priced stock point (a firm of a :class:`~sim.market.Market`), :class:`Priced`
  ``(quantity, price)``: either form above and the price to post from now on (money per
  unit, within the market's bounds). A plain quantity leaves the price as it was.

Negative and non-finite quantities are rejected by the model with an error naming the node.

A module may also offer ``act_batch(obs: ObservationBatch) -> array``: the actions of all the
stock points of one echelon that share the module, computed at once: one quantity per stock
point (shape ``(n,)``), or one row of quantities per stock point, one per supplier in
``obs.suppliers[k]`` order (shape ``(n, w)``, ``w`` the most suppliers of a stock point of
the batch; a row is zero beyond its stock point's suppliers).
:class:`~sim.vector.VectorizedSupplyChainModel` uses it when it exists (and ``act`` one
stock point at a time when it does not); it must agree with ``act``.

A module whose action depends on nothing but the inventory position may also offer
``act_position(inventory_position: float) -> float``, equal to ``act(obs)`` for every
observation with that ``obs.inventory_position``. The event engine then calls it instead of
building an observation (the names, the quantities and the tuple of one: on SupplyNetPy's
tree, where every customer's arrival is a review, 14-18% of an event's cost from 200 to
20,000 nodes, ``benchmarks/event_scaling.py``). It does so only when the class that
defines the module's ``act`` defines ``act_position`` too, so that a subclass overriding
``act`` alone is asked through ``act`` (:func:`decides_by_position`).

A stateful module may also offer ``spawn_batch(stock_points) -> module``: one object that
keeps the state of all the given ``(node, product)`` stock points (in arrays, say) and
decides for them with ``act_batch`` (and ``act``, by ``obs.node`` and ``obs.product``), with
``restart(stock_points)`` to set some of them back to their state at the start of a run.
The vectorized engine calls it once per run and module, instead of ``spawn()`` per stock
point, so that the module's stock points decide in one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "EXTERNAL",
    "OPTIONAL_FIELDS",
    "VECTORIZED_FIXED_OPTIONS",
    "Action",
    "External",
    "InventoryObservation",
    "ObservationBatch",
    "Policy",
    "PolicyError",
    "Priced",
    "StatefulPolicy",
    "decides_by_position",
]

Action = float | Sequence[float]

#: Options of :class:`~sim.model.SupplyChainModel` that
#: :class:`~sim.vector.VectorizedSupplyChainModel` restricts, with the values it allows (the
#: first is the default of both engines); here, so that scenarios check them without
#: loading the engines.
VECTORIZED_FIXED_OPTIONS: Mapping[str, tuple[Any, ...]] = MappingProxyType(
    {
        "review": ("periodic",),
        "arrivals": ("batch",),
        "allocation": ("fifo", "whole"),
        "log": (False,),
    }
)

#: Observation fields that cost work to compute; a module asks for them by listing their
#: names in its ``observes`` attribute (a ``frozenset``). Otherwise they are ``None``.
OPTIONAL_FIELDS = frozenset({"echelon_inventory_position", "arrivals"})


class InventoryObservation(NamedTuple):
    """What a stock point knows when it decides (units of stock unless stated).

    Attributes:
        period: the current period ``t`` (0-based).
        node: the node's name.
        product: the product's name.
        on_hand: stock on hand now (after this period's receipts; under ``decide="end"``
            also after this period's demand was served).
        backlog: unmet demand and downstream orders owed, waiting to be filled.
        pipeline: ordered and not yet received, over all suppliers (in transit plus owed
            by suppliers).
        inventory_position: ``on_hand + pipeline - backlog``.
        demand: demand seen in the last completed serving step (customer demand at a
            retailer, orders received from downstream elsewhere); under ``decide="end"``
            that is this period's, under ``decide="start"`` the previous period's.
        suppliers: names of the suppliers, in the order a sequence action refers to, as
            the network given to the model names them (on the vectorized engine's copy
            axis too, where ``node`` is the copy's ``(k, v)``).
        pipeline_by_supplier: ``pipeline`` split by supplier (same order).
        echelon_inventory_position: optional; the sum of the inventory positions of this
            stock point and every stock point downstream of it (Clark–Scarf's echelon
            inventory position in serial and tree networks).
        arrivals: optional; ``arrivals[k]`` is the quantity in transit that is due to be
            received at the start of period ``t + 1 + k`` (orders not yet shipped by a
            supplier are not in it). Its length is the longest lead time still pending.
        price: at a priced stock point (see :mod:`sim.market`), its current price (money
            per unit); else ``None``.
        competitor_prices: there, the competing prices posted when the period started
            (rival firms in the market's order, then competitor agents); else ``None``.
        reference_price: there, the customers' reference price of this period; else
            ``None``.
    """

    period: int
    node: str
    product: str
    on_hand: float
    backlog: float
    pipeline: float
    inventory_position: float
    demand: float
    suppliers: tuple[str, ...]
    pipeline_by_supplier: tuple[float, ...]
    echelon_inventory_position: float | None = None
    arrivals: tuple[float, ...] | None = None
    price: float | None = None
    competitor_prices: tuple[float, ...] | None = None
    reference_price: float | None = None

    def expedited_position(self, lead_time: int, who: str = "module") -> float:
        """``on_hand - backlog + sum(arrivals[0:lead_time])``: the stock that will be on hand
        by the time an order placed now on a supplier ``lead_time`` periods away arrives
        (the dual-index and base-surge policies' expedited inventory position).

        Raises:
            ValueError: ``arrivals`` was not observed (``who`` names the caller).
        """
        if self.arrivals is None:
            raise ValueError(
                f"{who} at node {self.node!r}: obs.arrivals is None; the engine fills it only "
                "for modules whose `observes` lists it"
            )
        return self.on_hand - self.backlog + float(sum(self.arrivals[:lead_time]))

    def as_array(self) -> np.ndarray:
        """The numeric fields as a float32 vector, for learners (optional fields as 0 when
        absent)."""
        return np.array(
            [
                self.period,
                self.on_hand,
                self.backlog,
                self.pipeline,
                self.inventory_position,
                self.demand,
                *self.pipeline_by_supplier,
                self.echelon_inventory_position or 0.0,
            ],
            dtype=np.float32,
        )


class ObservationBatch(NamedTuple):
    """The observations of several stock points at once, for ``act_batch``: the numeric
    fields of :class:`InventoryObservation` as float64 arrays, one entry per stock point.

    ``echelon_inventory_position`` and ``arrivals`` are filled only for modules whose
    ``observes`` lists them. ``pipeline_by_supplier`` has shape ``(n, suppliers)`` when the
    stock points of the batch have the same number of suppliers (else ``None``);
    ``arrivals`` has shape ``(n, slots)``, zero-padded to the longest pending arrival.
    ``suppliers[k]`` names the suppliers of stock point ``k`` (as
    :attr:`InventoryObservation.suppliers`), a list the engine passes again, the same
    object, whenever it asks for the same stock points (a module may cache by it).
    """

    period: int
    nodes: list[str]
    products: list[str]
    on_hand: np.ndarray
    backlog: np.ndarray
    pipeline: np.ndarray
    inventory_position: np.ndarray
    demand: np.ndarray
    echelon_inventory_position: np.ndarray | None = None
    pipeline_by_supplier: np.ndarray | None = None
    arrivals: np.ndarray | None = None
    suppliers: list[tuple[str, ...]] | None = None

    def expedited_position(self, lead_time: int, who: str = "module") -> np.ndarray:
        """:meth:`InventoryObservation.expedited_position` of every stock point, in the same
        float operations (the arrivals added one period at a time, left to right)."""
        if self.arrivals is None:
            raise ValueError(
                f"{who} at node {self.nodes[0]!r}: obs.arrivals is None; the engine fills it "
                "only for modules whose `observes` lists it"
            )
        due = np.zeros(len(self.on_hand))
        for k in range(min(lead_time, self.arrivals.shape[1])):
            due = due + self.arrivals[:, k]
        return self.on_hand - self.backlog + due


class Priced(NamedTuple):
    """An action that also sets a price: ``quantity`` as a plain action (a number, or one
    per supplier) and ``price``, the price posted from now on (money per unit)."""

    quantity: Any
    price: float


@runtime_checkable
class Policy(Protocol):
    """A decision module: one order decision per stock point per review."""

    def act(self, obs: InventoryObservation) -> Action: ...


@runtime_checkable
class StatefulPolicy(Policy, Protocol):
    """A decision module whose per-run, per-stock-point state lives in what ``spawn`` returns."""

    def spawn(self) -> Policy: ...


def decides_by_position(kind: type) -> bool:
    """Whether the event engine decides for modules of class ``kind`` through their
    ``act_position`` (see the module's docstring): the class that gives ``kind`` its ``act``
    defines ``act_position`` too."""
    for cls in kind.__mro__:
        if "act" in vars(cls):
            return callable(vars(cls).get("act_position"))
    return False


class PolicyError(RuntimeError):
    """A decision module raised an exception; the message names the node and product."""


class External:
    """The decision module of a stock point that a learner (or any outside controller)
    decides for: the engine stops where it must decide and hands out its observation, and
    :meth:`~sim.model.SupplyChainModel.advance` resumes it with the action.

    Args:
        observes: the optional observation fields computed for it (all by default).
    """

    def __init__(self, observes: frozenset[str] = OPTIONAL_FIELDS):
        unknown = set(observes) - OPTIONAL_FIELDS
        if unknown:
            raise ValueError(
                f"observes: unknown fields {sorted(unknown)}; known: {sorted(OPTIONAL_FIELDS)}"
            )
        self.observes = frozenset(observes)

    def act(self, obs: InventoryObservation) -> Action:
        raise TypeError(
            f"node {obs.node!r} is controlled from outside: answer its decisions through "
            "SupplyChainModel.advance(action)"
        )

    def __repr__(self) -> str:
        return "EXTERNAL" if self is EXTERNAL else f"External(observes={set(self.observes)!r})"

    def __reduce__(self) -> str | tuple:
        return "EXTERNAL" if self is EXTERNAL else (External, (self.observes,))


#: The usual :class:`External` marker: it observes every optional field, so that every
#: observation layout can be filled.
EXTERNAL = External()
