"""Fixed-size observation vectors and action mappings: what a learner sees and returns.

A learner needs a vector of fixed length and a bounded action; a decision module sees an
:class:`~sim.policy.InventoryObservation` and returns order quantities. These two frozen
values translate between them, and are stored in a checkpoint so that a trained policy
refuses an engine whose observation it was not trained on.

Observation layout (all in units of stock, divided by ``scale``), in this order::

    on_hand, backlog, inventory_position, demand,
    pipeline[s] for each of the ``suppliers`` suppliers (ordered, not received),
    arrivals[k] for k < arrival_slots (in transit, due at the start of period t + 1 + k;
                                        padded with zeros; the last slot also holds what
                                        is due later, e.g. after a long random lead time),
    echelon_inventory_position                          (only if ``echelon``)
    epoch[k] for each review epoch (one-hot: which epoch of the review cycle this is;
                                    only with an uneven review schedule)
    periods_left                   (only with a ``horizon``: the periods left after this
                                    one, at most ``end_window``, divided by ``end_window``)
    price, competitor_prices[k] for k < rivals, reference_price
                                   (only at a priced stock point, ``priced``: money per
                                    unit divided by ``price_scale``, not by ``scale``)

An action is one order quantity per supplier, or (``target="position"`` or
``"echelon_position"``, one supplier) the level to order the inventory position up to, or
(``target="reorder"``, one supplier) a reorder point and an order-up-to level, so that a
constant action is an (s, S) policy, or (``target="base_surge"``, two suppliers) the
regular order and the expedited supplier's order-up-to level, so that constant actions
are a tailored base-surge policy; with
a price dimension (``price_step > 0``, a firm of a :class:`~sim.market.Market`) one more
entry chooses the price, and the mapping returns :class:`~sim.policy.Priced` ``(quantity,
price)``.

The period counter itself is left out on purpose: it grows without bound, and a stationary
policy should not depend on it. A policy for a finite horizon (a T-period problem, whose
optimal policy depends on the periods left) is given ``horizon`` and sees the periods left
instead, counted down over the last ``end_window`` periods only (:class:`sim.env.InventoryEnv`
takes the lead time and one more): the end's effects reach back about that far (an order
placed within a lead time of the end arrives after it), before which a finite-horizon
inventory policy is close to the stationary one, and a count that moves by a large step
in each of those periods lets a network tell them apart (the share of a 100-period horizon
left moves by 0.01 a period).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from .policy import InventoryObservation, ObservationBatch, Priced

__all__ = ["TARGETS", "ActionMapping", "ObservationLayout"]

#: What an :class:`ActionMapping`'s quantity entries choose (its ``target``).
TARGETS = ("quantity", "position", "echelon_position", "reorder", "base_surge")


@dataclass(frozen=True)
class ObservationLayout:
    """How an observation becomes a float32 vector of :attr:`size` entries.

    Attributes:
        suppliers: number of suppliers of the stock point (one pipeline entry each).
        arrival_slots: periods of scheduled arrivals kept (the longest lead time, in
            periods, rounded up); 0 leaves arrivals out.
        echelon: include the echelon inventory position.
        scale: quantities are divided by this (units of stock); about the mean demand per
            period keeps inputs near 1.
        review_cycle: the length of the review cycle in periods (0: the stock point decides
            every period).
        review_epochs: the periods of the cycle in which it decides (``period %
            review_cycle``), increasing; a policy orders nothing in the other periods.
        priced: the stock point sets a price (a firm of a market): its price, the rivals'
            posted prices and its reference price close the vector (a pricing learner must
            see what moves its demand, Eq. (3)).
        rivals: how many competing prices it sees (other firms, then competitor agents;
            a market's sellers are fixed, so the vector keeps one size).
        price_scale: prices are divided by this (money per unit); the market's upper bound
            keeps them in ``[0, 1]``.
        horizon: the episode length (periods) of a finite-horizon policy: the vector gains
            ``periods_left``, the periods left after this one, ``min(horizon - period - 1,
            end_window) / end_window`` (1 until the last ``end_window`` periods, 0 in the
            last period and at the episode's end); 0 (default) leaves it out, a stationary
            policy.
        end_window: how many of the last periods ``periods_left`` tells apart from the
            others (the last one reads 0).
    """

    suppliers: int = 1
    arrival_slots: int = 0
    echelon: bool = False
    scale: float = 1.0
    review_cycle: int = 0
    review_epochs: tuple[int, ...] = ()
    priced: bool = False
    rivals: int = 0
    price_scale: float = 1.0
    horizon: int = 0
    end_window: int = 2

    def __post_init__(self) -> None:
        for name in ("suppliers", "arrival_slots", "rivals", "horizon", "end_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ObservationLayout.{name}: must be an integer >= 0, got {value!r}"
                )
        if self.end_window < 1:
            raise ValueError(f"ObservationLayout.end_window: must be >= 1, got {self.end_window}")
        if self.suppliers < 1:
            raise ValueError(f"ObservationLayout.suppliers: must be >= 1, got {self.suppliers}")
        if not (isinstance(self.scale, int | float) and 0 < self.scale < math.inf):
            raise ValueError(f"ObservationLayout.scale: must be > 0 and finite, got {self.scale!r}")
        if not (isinstance(self.price_scale, int | float) and 0 < self.price_scale < math.inf):
            raise ValueError(
                f"ObservationLayout.price_scale: must be > 0 and finite, got {self.price_scale!r}"
            )
        if self.rivals and not self.priced:
            raise ValueError("ObservationLayout.rivals: competing prices need priced=True")
        epochs = tuple(self.review_epochs)
        object.__setattr__(self, "review_epochs", epochs)  # a list from JSON
        if self.review_cycle and not (
            epochs
            and all(isinstance(k, int) and 0 <= k < self.review_cycle for k in epochs)
            and list(epochs) == sorted(set(epochs))
        ):
            raise ValueError(
                f"ObservationLayout.review_epochs: must be increasing periods of the cycle "
                f"0..{self.review_cycle - 1}, got {self.review_epochs!r}"
            )

    def review_gaps(self) -> list[int]:
        """Periods from each review epoch to the next (empty: every period is reviewed)."""
        epochs, cycle = self.review_epochs, self.review_cycle
        if not cycle:
            return []
        return [(epochs[(k + 1) % len(epochs)] - e - 1) % cycle + 1 for k, e in enumerate(epochs)]

    def epoch(self, period: int) -> int | None:
        """Which review epoch ``period`` is (``None``: no review then)."""
        if not self.review_cycle:
            return 0
        phase = period % self.review_cycle
        return self.review_epochs.index(phase) if phase in self.review_epochs else None

    @cached_property
    def _divisor(self) -> np.float32:
        """``scale`` as the float32 the vector is divided by (made once: a vector per step)."""
        return np.float32(self.scale)

    @property
    def names(self) -> list[str]:
        """The name of every entry, in order."""
        names = ["on_hand", "backlog", "inventory_position", "demand"]
        names += [f"pipeline[{s}]" for s in range(self.suppliers)]
        names += [f"arrivals[{k}]" for k in range(self.arrival_slots)]
        if self.echelon:
            names.append("echelon_inventory_position")
        if self.review_cycle:
            names += [f"epoch[{k}]" for k in range(len(self.review_epochs))]
        if self.horizon:
            names.append("periods_left")
        if self.priced:
            names += ["price", *(f"competitor_prices[{k}]" for k in range(self.rivals))]
            names.append("reference_price")
        return names

    @property
    def size(self) -> int:
        """Length of the vector."""
        epochs = len(self.review_epochs) if self.review_cycle else 0
        prices = 2 + self.rivals if self.priced else 0
        single = int(self.echelon) + int(self.horizon > 0)  # one entry each
        return 4 + self.suppliers + self.arrival_slots + single + epochs + prices

    def periods_left(self, period: int) -> float:
        """The ``periods_left`` entry of ``period`` (a layout with a ``horizon``).

        Raises:
            ValueError: ``period`` is past the horizon (a finite-horizon policy asked to act
                after its episode's end).
        """
        if not 0 <= period <= self.horizon:
            raise ValueError(
                f"period {period}: past the horizon of {self.horizon} periods this "
                "finite-horizon observation plans for (run at most that many periods)"
            )
        return min(max(self.horizon - period - 1, 0), self.end_window) / self.end_window

    @property
    def observes(self) -> frozenset[str]:
        """The optional observation fields this layout needs (a module's ``observes``)."""
        wanted = set()
        if self.arrival_slots:
            wanted.add("arrivals")
        if self.echelon:
            wanted.add("echelon_inventory_position")
        return frozenset(wanted)

    def vector(self, obs: InventoryObservation) -> np.ndarray:
        """``obs`` as a float32 vector.

        Raises:
            ValueError: the observation does not fit the layout (other number of suppliers,
                a missing field).
        """
        if len(obs.pipeline_by_supplier) != self.suppliers:
            raise ValueError(
                f"node {obs.node!r}: observation has {len(obs.pipeline_by_supplier)} suppliers, "
                f"the layout {self.suppliers}"
            )
        values = [obs.on_hand, obs.backlog, obs.inventory_position, obs.demand]
        values += obs.pipeline_by_supplier
        slots = self.arrival_slots
        if slots:
            arrivals = obs.arrivals
            if arrivals is None:
                raise ValueError(f"node {obs.node!r}: the layout needs 'arrivals' observed")
            if len(arrivals) > slots:
                values += arrivals[: slots - 1]
                values.append(sum(arrivals[slots - 1 :]))
            else:
                values += arrivals
                values += [0.0] * (slots - len(arrivals))
        if self.echelon:
            if obs.echelon_inventory_position is None:
                raise ValueError(
                    f"node {obs.node!r}: the layout needs 'echelon_inventory_position' observed"
                )
            values.append(obs.echelon_inventory_position)
        v = self.vector_of_values(obs.period, values)
        return np.concatenate([v, self._prices(obs)]) if self.priced else v

    def vector_of_values(self, period: int, values: list[float]) -> np.ndarray:
        """The vector of period ``period`` from its ``values`` in units of stock, in the
        layout's order up to the epoch entries (which this adds, and ``periods_left``): the
        last step of :meth:`vector` but for the price entries, for an engine that reads its
        state straight into a vector (:meth:`~sim.model.SupplyChainModel.observe_vector`)."""
        v = np.array(values, np.float32)
        if self.scale != 1.0:
            v /= self._divisor
        if self.review_cycle:  # not scaled: a one-hot of the epoch
            epoch = np.zeros(len(self.review_epochs), dtype=np.float32)
            k = self.epoch(period)
            if k is not None:
                epoch[k] = 1.0
            v = np.concatenate([v, epoch])
        if self.horizon:
            v = np.append(v, np.float32(self.periods_left(period)))
        return v

    def writer(self) -> _VectorWriter:
        """A writer of this layout's vectors from values: :meth:`vector_of_values` bit for
        bit at a fraction of its cost, for an engine that reads an observation every step
        (one writer per engine: it writes into a buffer of its own)."""
        if self.priced:
            raise ValueError("a priced layout's vectors end with prices: use vector()")
        return _VectorWriter(self)

    def _prices(self, obs: InventoryObservation) -> np.ndarray:
        """The price entries of ``obs``, divided by ``price_scale``."""
        if obs.price is None or obs.competitor_prices is None or obs.reference_price is None:
            raise ValueError(f"node {obs.node!r}: the layout needs prices; it is not a market firm")
        if len(obs.competitor_prices) != self.rivals:
            raise ValueError(
                f"node {obs.node!r}: observation has {len(obs.competitor_prices)} competing "
                f"prices, the layout {self.rivals}"
            )
        values = [obs.price, *obs.competitor_prices, obs.reference_price]
        return np.array(values, dtype=np.float32) / np.float32(self.price_scale)

    def batch(self, obs: ObservationBatch) -> np.ndarray:
        """A batch of observations as an ``(n, size)`` float32 array."""
        if self.priced:
            raise ValueError("a priced layout needs the event engine (batches carry no prices)")
        n = len(obs.on_hand)
        v = np.zeros((n, self.size), dtype=np.float32)
        v[:, 0] = obs.on_hand
        v[:, 1] = obs.backlog
        v[:, 2] = obs.inventory_position
        v[:, 3] = obs.demand
        k = 4 + self.suppliers
        if obs.pipeline_by_supplier is None or obs.pipeline_by_supplier.shape != (
            n,
            self.suppliers,
        ):
            raise ValueError(
                f"the batch's pipeline by supplier does not fit {self.suppliers} suppliers"
            )
        v[:, 4:k] = obs.pipeline_by_supplier
        if self.arrival_slots:
            if obs.arrivals is None:
                raise ValueError("the layout needs 'arrivals' observed")
            arrivals, slots = obs.arrivals, self.arrival_slots
            width = min(arrivals.shape[1], slots)
            v[:, k : k + width] = arrivals[:, :width]
            if arrivals.shape[1] > slots:
                v[:, k + slots - 1] += arrivals[:, slots:].sum(axis=1)
            k += slots
        if self.echelon:
            v[:, k] = obs.echelon_inventory_position
            k += 1
        if self.scale != 1.0:
            v[:, :k] /= self.scale
        if self.review_cycle:
            epoch = self.epoch(obs.period)
            if epoch is not None:
                v[:, k + epoch] = 1.0
        if self.horizon:  # copies in step: one period for the batch
            v[:, -1] = self.periods_left(obs.period)
        return v

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in checkpoints)."""
        return {**asdict(self), "review_epochs": list(self.review_epochs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObservationLayout:
        return cls(**data)


class _VectorWriter:
    """Writes :meth:`ObservationLayout.vector_of_values` vectors into a float32 buffer and
    hands out copies: no numpy call but the copy.

    numpy divides ``float32(x)`` by ``float32(scale)`` in float32; here the quotient is made
    once per distinct value (in double: rounded to float32 it is the float32 quotient, as
    a double holds more than twice a float32's digits) and remembered, since quantities
    repeat from period to period. Whole vectors are remembered too, keyed by their values'
    bytes (``-0.0`` is not ``0.0`` there): a policy that settles revisits a few states.
    """

    _REMEMBERED = 4096  # distinct values (and vectors) kept; past it they start over

    def __init__(self, layout: ObservationLayout):
        self.layout = layout
        self._epochs = len(layout.review_epochs) if layout.review_cycle else 0
        self._timed = bool(self._epochs or layout.horizon)  # the period is in the vector
        self._buffer = np.zeros(layout.size, np.float32)
        self._view = memoryview(self._buffer)  # item assignment rounds a float to float32
        self._scratch = memoryview(np.zeros(1, np.float32))
        self._divisor = float(np.float32(layout.scale))
        self._quotients: dict[float, float] = {}
        self._key = struct.Struct(f"{layout.size - self._epochs}d").pack  # untimed only
        self._vectors: dict[bytes, np.ndarray] = {}

    def __reduce__(self) -> tuple:
        return _VectorWriter, (self.layout,)  # a memoryview does not pickle

    def vector(self, period: int, values: list[float]) -> np.ndarray:
        """``layout.vector_of_values(period, values)``, bit for bit."""
        if self._timed:  # the vector depends on the period too
            return self._write(period, values)
        key = self._key(*values)
        v = self._vectors.get(key)
        if v is None:
            if len(self._vectors) >= self._REMEMBERED:
                self._vectors.clear()
            v = self._vectors[key] = self._write(period, values)
        return v.copy()

    def _write(self, period: int, values: list[float]) -> np.ndarray:
        view, quotients = self._view, self._quotients
        k = 0
        for x in values:
            if x:  # +-0 divided is itself (and -0.0 would find 0.0's entry)
                q = quotients.get(x)
                view[k] = q if q is not None else self._quotient(x)
            else:
                view[k] = x
            k += 1
        if self._epochs:  # a one-hot, not scaled
            epoch = self.layout.epoch(period)
            for e in range(self._epochs):
                view[k + e] = 1.0 if e == epoch else 0.0
        if self.layout.horizon:
            view[-1] = self.layout.periods_left(period)
        return self._buffer.copy()

    def _quotient(self, x: float) -> float:
        scratch = self._scratch
        scratch[0] = x  # float32(x)
        scratch[0] = scratch[0] / self._divisor
        q = scratch[0]
        if len(self._quotients) >= self._REMEMBERED:
            self._quotients.clear()
        self._quotients[x] = q
        return q


@dataclass(frozen=True)
class ActionMapping:
    """How a learner's action becomes order quantities (units of stock per period).

    Attributes:
        kind: ``"discrete"``: the action is an integer ``a`` in ``[0, n)`` per entry and
            orders ``low + a * step`` units (so ``n = (high - low) / step + 1``);
            ``"continuous"``: the action is a float in ``[-1, 1]`` per entry, mapped
            linearly onto ``[low, high]`` (values outside are clipped), and rounded to whole
            units when ``integer``.
        low: smallest order quantity.
        high: largest order quantity.
        step: the grid of a discrete mapping (units; default whole units): e.g. 0.5 lets a
            learner start at a tuned heuristic's half-unit quantity (:meth:`action_of`)
            instead of its nearest whole one. It must divide ``[low, high]`` into whole
            steps; a continuous mapping has none (``integer`` rounds it).
        suppliers: quantities per decision (one per supplier, multi-sourcing).
        integer: round continuous quantities to whole units.
        price_low, price_high, price_step: a price dimension (``price_step > 0``): the
            action's last entry chooses a price on the grid ``price_low, price_low +
            price_step, ..., price_high`` (money per unit): discrete, its index; continuous,
            a float in ``[-1, 1]`` mapped linearly onto ``[price_low, price_high]`` and
            rounded to the grid. The grid is the one the tuned heuristics search, so a
            learner is compared with them on the same prices. ``0`` (default): orders only.
        target: what the quantity entry chooses. ``"quantity"`` (default): the order itself.
            ``"position"``: an order-up-to level ``S`` for the stock point's inventory
            position ``x`` (on hand + pipeline - backlog) at its decision; the order is
            ``max(0, S - x)``, so a constant action is a base-stock policy (one supplier).
            ``"echelon_position"``: the same for the echelon inventory position (its own and
            everything downstream of it), so constant actions across a serial chain are an
            echelon base-stock policy (Clark & Scarf); the learner then observes it.
            ``"reorder"`` (one supplier, two entries): a reorder point ``s`` and an
            order-up-to level ``S``; the order is ``max(0, S - x)`` if ``x <= s``, else 0
            (:class:`agents.SS`'s convention), so a constant action is an (s, S) policy,
            optimal with a fixed ordering cost (Scarf 1960), which the learner may make
            depend on the state.
            ``low`` and ``high`` bound the levels; orders follow from the observation the
            action answers (:meth:`position`).
            ``"base_surge"`` (two suppliers): the regular supplier's entry is the order
            itself and the expedited supplier's an order-up-to level ``S_e`` for the
            expedited inventory position ``IP_e`` (on hand - backlog + what arrives within
            ``expedited_lead_time`` periods: :meth:`~sim.policy.InventoryObservation.
            expedited_position`), ordering ``max(0, S_e - IP_e)``; so a constant action is
            Allon & Van Mieghem's tailored base-surge policy
            (:class:`agents.TailoredBaseSurge`), which the learner may make depend on the
            state. ``low`` and ``high`` bound both entries.
        max_order: with an order-up-to ``target``, the largest order (units; ``inf``: no
            cap): the order is ``min(max_order, max(0, S - x))``, so that levels respect
            the same order range as quantities would (with ``"base_surge"``, the expedited
            order's).
        expedited: with ``"base_surge"``, the entry (supplier column) of the expedited
            supplier, 0 or 1; the other is the regular one.
        expedited_lead_time: with ``"base_surge"``, the expedited supplier's lead time
            (periods, an integer >= 0).
    """

    kind: Literal["discrete", "continuous"] = "discrete"
    low: float = 0.0
    high: float = 20.0
    step: float = 1.0
    suppliers: int = 1
    integer: bool = True
    price_low: float = 0.0
    price_high: float = 0.0
    price_step: float = 0.0
    target: Literal["quantity", "position", "echelon_position", "reorder", "base_surge"] = (
        "quantity"
    )
    max_order: float = math.inf
    expedited: int = 1
    expedited_lead_time: int = 0

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(
                f"ActionMapping.target: must be one of {', '.join(map(repr, TARGETS))}, "
                f"got {self.target!r}"
            )
        if self.target == "base_surge":
            if self.suppliers != 2:
                raise ValueError(
                    "ActionMapping.target='base_surge': needs two suppliers (regular and "
                    f"expedited), got suppliers={self.suppliers!r}"
                )
            if self.expedited not in (0, 1) or isinstance(self.expedited, bool):
                raise ValueError(f"ActionMapping.expedited: must be 0 or 1, got {self.expedited!r}")
            lead = self.expedited_lead_time
            if isinstance(lead, bool) or not isinstance(lead, int) or lead < 0:
                raise ValueError(
                    f"ActionMapping.expedited_lead_time: must be an integer >= 0, got {lead!r}"
                )
        elif (self.expedited, self.expedited_lead_time) != (1, 0):
            raise ValueError(
                "ActionMapping.expedited and expedited_lead_time: only for target='base_surge'"
            )
        elif self.target != "quantity" and self.suppliers != 1:  # position, reorder
            raise ValueError(
                f"ActionMapping.target={self.target!r}: an order-up-to level needs one "
                f"supplier, got suppliers={self.suppliers!r}"
            )
        if not self.max_order > 0:
            raise ValueError(f"ActionMapping.max_order: must be > 0, got {self.max_order!r}")
        if self.target == "quantity" and self.max_order != math.inf:
            raise ValueError(
                "ActionMapping.max_order: caps the orders of order-up-to targets; a "
                "quantity's range is low..high"
            )
        if self.kind not in ("discrete", "continuous"):
            raise ValueError(
                f"ActionMapping.kind: must be 'discrete' or 'continuous', got {self.kind!r}"
            )
        if not (0 <= self.low < self.high < math.inf):
            raise ValueError(
                f"ActionMapping: need 0 <= low < high < inf, got low={self.low!r}, "
                f"high={self.high!r}"
            )
        if self.kind == "continuous" and self.step != 1.0:
            raise ValueError(
                f"ActionMapping.step: only a discrete mapping has a grid, got step={self.step!r} "
                "with kind='continuous'"
            )
        if not 0 < self.step < math.inf:
            raise ValueError(f"ActionMapping.step: must be > 0 and finite, got {self.step!r}")
        if self.kind == "discrete" and not _on_grid(self.high, self.low, self.step):
            raise ValueError(
                f"ActionMapping.step: {self.step:g} does not divide [{self.low:g}, "
                f"{self.high:g}] into whole steps"
            )
        if isinstance(self.suppliers, bool) or not isinstance(self.suppliers, int):
            raise ValueError(f"ActionMapping.suppliers: must be an integer, got {self.suppliers!r}")
        if self.suppliers < 1:
            raise ValueError(f"ActionMapping.suppliers: must be >= 1, got {self.suppliers}")
        if self.price_step:
            if not (0 < self.price_step < math.inf and 0 <= self.price_low < self.price_high):
                raise ValueError(
                    f"ActionMapping: a price dimension needs price_step > 0 and 0 <= price_low "
                    f"< price_high, got price_low={self.price_low!r}, price_high="
                    f"{self.price_high!r}, price_step={self.price_step!r}"
                )
            if not _on_grid(self.price_high, self.price_low, self.price_step):
                raise ValueError(
                    f"ActionMapping.price_step: {self.price_step!r} does not divide "
                    f"[{self.price_low!r}, {self.price_high!r}] into whole steps"
                )

    @property
    def n(self) -> int:
        """Number of discrete choices per quantity entry."""
        return round((self.high - self.low) / self.step) + 1

    @property
    def prices(self) -> int:
        """Number of prices on the grid (0: no price dimension)."""
        if not self.price_step:
            return 0
        return round((self.price_high - self.price_low) / self.price_step) + 1

    @property
    def entries(self) -> int:
        """Quantity entries of one action: one per supplier (``"reorder"``: two, the
        reorder point and the order-up-to level)."""
        return 2 if self.target == "reorder" else self.suppliers

    @property
    def dims(self) -> int:
        """Entries of one action: the quantity entries, and one for the price."""
        return self.entries + (1 if self.price_step else 0)

    @property
    def nvec(self) -> tuple[int, ...]:
        """Choices per entry of a discrete action."""
        return (self.n,) * self.entries + ((self.prices,) if self.price_step else ())

    def price(self, a: Any) -> float:
        """The price chosen by the action's price entry ``a`` (see the class docstring).

        Raises:
            ValueError: a discrete entry outside ``[0, prices)``, or a non-finite one.
        """
        x = float(a)
        if not math.isfinite(x):
            raise ValueError(f"price action {x:g} is not finite")
        if self.kind == "discrete":
            if not (0 <= x < self.prices and x.is_integer()):
                raise ValueError(f"price action {x:g} outside the integers 0..{self.prices - 1}")
            k = x
        else:
            k = round((min(1.0, max(-1.0, x)) + 1.0) * 0.5 * (self.prices - 1))
        return min(self.price_high, self.price_low + k * self.price_step)

    @property
    def orders_up_to(self) -> bool:
        """The action is an order-up-to level (``target`` is not ``"quantity"``)."""
        return self.target != "quantity"

    def position(self, obs: InventoryObservation | ObservationBatch) -> Any:
        """The inventory position an order-up-to action is measured against, from the
        observation (one, or a batch) of the decision the action answers."""
        if self.target in ("position", "reorder"):
            return obs.inventory_position
        if self.target == "base_surge":
            return obs.expedited_position(self.expedited_lead_time, "ActionMapping")
        x = obs.echelon_inventory_position
        if x is None:
            raise ValueError(
                "ActionMapping.target='echelon_position': the observation has no "
                "echelon_inventory_position (the stock point's module must observe it)"
            )
        return x

    def quantities(self, action: Any, obs: Any = None) -> np.ndarray:
        """Order quantities for a batch of actions: ``action`` has shape ``(..., entries)``
        (or ``(...)`` with one entry); the result has shape ``(..., suppliers)``. An
        order-up-to mapping needs ``obs``, the decisions' observations (an
        :class:`~sim.policy.ObservationBatch`, or one observation for one action).

        Raises:
            ValueError: a discrete action outside ``[0, n)``, or a non-finite one; an
                order-up-to mapping without ``obs``.
        """
        q = self._levels(action)
        if self.target == "quantity":
            return q
        if obs is None:
            raise ValueError(
                f"ActionMapping.target={self.target!r}: the order needs the decision's "
                "observation (its inventory position)"
            )
        position = np.asarray(self.position(obs), dtype=np.float64)[..., None]
        if self.target == "reorder":  # below or at the reorder point: up to the level
            reorder, level = q[..., :1], q[..., 1:]
            return np.where(position <= reorder, self._up_to(level, position), 0.0)
        if self.target != "base_surge":
            return self._up_to(q, position)  # one supplier
        e = slice(self.expedited, self.expedited + 1)
        order = q.copy()  # the regular entry stays a quantity
        order[..., e] = self._up_to(q[..., e], position)
        return order

    def _wrong_shape(self, action: Any) -> ValueError:
        return ValueError(
            f"action of shape {np.shape(action)}: expected {self.entries} per decision"
        )

    def _up_to(self, level: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The order that brings ``position`` up to ``level``, never negative, capped at
        ``max_order``."""
        order = np.maximum(level - position, 0.0)
        return order if self.max_order == math.inf else np.minimum(order, self.max_order)

    def _levels(self, action: Any) -> np.ndarray:
        """What the quantity entries choose: order quantities, or order-up-to levels."""
        a = np.asarray(action, dtype=np.float64)
        if self.entries == 1 and (a.ndim == 0 or a.shape[-1] != 1):
            a = a[..., None]
        if a.ndim == 0 or a.shape[-1] != self.entries:
            raise self._wrong_shape(action)
        if not np.isfinite(a).all():
            raise ValueError(f"action {action!r} is not finite")
        if self.kind == "discrete":
            if (a < 0).any() or (a >= self.n).any() or (a != np.floor(a)).any():
                raise ValueError(f"discrete action {action!r} outside the integers 0..{self.n - 1}")
            return self.low + a * self.step
        q = self.low + (np.clip(a, -1.0, 1.0) + 1.0) * 0.5 * (self.high - self.low)
        return np.rint(q) if self.integer else q

    def action_of(self, values: Any) -> np.ndarray:
        """The action whose entries choose ``values`` (one per quantity entry, in the
        supplier order; levels for an order-up-to ``target``, ``(s, S)`` for ``"reorder"``,
        quantities else): the inverse of the mapping of a constant action, so that a
        heuristic's tuned parameters become the learner's action (its order-up-to level;
        tailored base-surge's regular quantity and expedited level). Shape ``(entries,)``,
        float.

        Raises:
            ValueError: a value outside ``[low, high]``, off the grid of a discrete
                mapping, not a whole number for an ``integer`` one, the wrong number of
                values, or a mapping with a price dimension.
        """
        if self.price_step:
            raise ValueError("ActionMapping.action_of: a mapping with a price dimension")
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if v.shape != (self.entries,):
            per = "(s, S)" if self.target == "reorder" else "(one per supplier)"
            raise ValueError(
                f"ActionMapping.action_of: {values!r} has {v.size} values, expected "
                f"{self.entries} {per}"
            )
        discrete = self.kind == "discrete"
        for x in v:
            if not self.low <= x <= self.high:
                problem = f"is outside [{self.low:g}, {self.high:g}]"
            elif discrete and not _on_grid(x, self.low, self.step):
                grid = f"{self.low:g}, {self.low + self.step:g}, ..., {self.high:g}"
                problem = f"is not on the grid {grid}"
            elif not discrete and self.integer and not float(x).is_integer():
                problem = "is not a whole number (the mapping is integer)"
            else:
                continue
            raise ValueError(f"ActionMapping.action_of: {x:g} {problem}")
        if discrete:
            return np.rint((v - self.low) / self.step)
        return 2.0 * (v - self.low) / (self.high - self.low) - 1.0

    def quantity(self, action: Any, obs: InventoryObservation | None = None) -> Any:
        """One decision's order: a number (one supplier) or one number per supplier; with a
        price dimension, :class:`~sim.policy.Priced` of that and the price. An order-up-to
        mapping needs ``obs``, the decision's observation."""
        if self.price_step:
            a = np.asarray(action, dtype=np.float64).reshape(-1)
            if a.shape != (self.dims,):
                raise ValueError(
                    f"action of shape {np.shape(action)}: expected {self.entries} quantity "
                    "entries and a price"
                )
            q = self.quantities(a[:-1], obs).reshape(self.suppliers)
            return Priced(float(q[0]) if self.suppliers == 1 else q.tolist(), self.price(a[-1]))
        if type(action) is np.ndarray and action.size == 1 and action.dtype.kind in "iu":
            action = action.item()  # one integer in an array (a policy's output): as the int
        if (type(action) is int or isinstance(action, int | np.integer)) and (
            self.suppliers == 1 and self.kind == "discrete" and self.target == "quantity"
        ):
            if not 0 <= action < self.n or isinstance(action, bool):  # the common case, fast
                raise ValueError(f"discrete action {action!r} outside the integers 0..{self.n - 1}")
            return self.low + float(action) * self.step
        q = self.quantities(action, obs)
        if q.size != self.suppliers:  # a batch of several decisions
            raise self._wrong_shape(action)
        q = q.reshape(self.suppliers)
        return float(q[0]) if self.suppliers == 1 else q.tolist()

    def to_dict(self) -> dict[str, Any]:
        """A dict for standard JSON (stored in checkpoints): no cap is ``max_order: None``
        (``json`` would write the non-standard ``Infinity``)."""
        data = asdict(self)
        if data["max_order"] == math.inf:
            data["max_order"] = None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionMapping:
        """The mapping of :meth:`to_dict` (or of an older checkpoint's ``Infinity``)."""
        if data.get("max_order", 0) is None:
            data = {**data, "max_order": math.inf}
        return cls(**data)


def _on_grid(x: float, low: float, step: float) -> bool:
    """``x`` is ``low`` plus a whole number of ``step`` (to rounding)."""
    steps = (x - low) / step
    return abs(steps - round(steps)) <= 1e-9 * max(1.0, abs(steps))


def longest_lead_time(lead_times: Sequence[float]) -> int:
    """Arrival slots that hold every arrival for lead times up to these (periods)."""
    return max((math.ceil(x) for x in lead_times), default=0)
