"""Fixed-size observation vectors and action mappings: what a learner sees and returns.

A learner needs a vector of fixed length and a bounded action; a decision module sees an
:class:`~sim.policy.InventoryObservation` and returns order quantities. These two frozen
values translate between them, and are stored in a checkpoint so that a trained policy
refuses an engine whose observation it was not trained on.

Observation layout (all in units of stock, divided by ``scale``), in this order::

    on_hand, backlog, inventory_position, demand,
    pipeline[s] for each of the ``suppliers`` suppliers (ordered, not received),
    arrivals[k] for k < arrival_slots (in transit, due at the start of period t + 1 + k;
                                        padded with zeros, never truncated),
    echelon_inventory_position                          (only if ``echelon``)

The period counter is left out on purpose: it grows without bound, and a stationary policy
should not depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from .policy import InventoryObservation, ObservationBatch

__all__ = ["ActionMapping", "ObservationLayout"]


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
    """

    suppliers: int = 1
    arrival_slots: int = 0
    echelon: bool = False
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("suppliers", "arrival_slots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ObservationLayout.{name}: must be an integer >= 0, got {value!r}"
                )
        if self.suppliers < 1:
            raise ValueError(f"ObservationLayout.suppliers: must be >= 1, got {self.suppliers}")
        if not (isinstance(self.scale, int | float) and 0 < self.scale < math.inf):
            raise ValueError(f"ObservationLayout.scale: must be > 0 and finite, got {self.scale!r}")

    @property
    def names(self) -> list[str]:
        """The name of every entry, in order."""
        names = ["on_hand", "backlog", "inventory_position", "demand"]
        names += [f"pipeline[{s}]" for s in range(self.suppliers)]
        names += [f"arrivals[{k}]" for k in range(self.arrival_slots)]
        if self.echelon:
            names.append("echelon_inventory_position")
        return names

    @property
    def size(self) -> int:
        """Length of the vector."""
        return 4 + self.suppliers + self.arrival_slots + int(self.echelon)

    @property
    def observes(self) -> frozenset[str]:
        """The optional observation fields this layout needs (a module's ``observes``)."""
        wanted = set()
        if self.arrival_slots:
            wanted.add("arrivals")
        if self.echelon:
            wanted.add("echelon_inventory_position")
        return frozenset(wanted)

    def vector(self, obs: InventoryObservation, out: np.ndarray | None = None) -> np.ndarray:
        """``obs`` as a float32 vector (written into ``out`` when given).

        Raises:
            ValueError: the observation does not fit the layout (other number of suppliers,
                an arrival due later than ``arrival_slots`` periods, a missing field).
        """
        v = np.zeros(self.size, dtype=np.float32) if out is None else out
        if len(obs.pipeline_by_supplier) != self.suppliers:
            raise ValueError(
                f"node {obs.node!r}: observation has {len(obs.pipeline_by_supplier)} suppliers, "
                f"the layout {self.suppliers}"
            )
        v[0] = obs.on_hand
        v[1] = obs.backlog
        v[2] = obs.inventory_position
        v[3] = obs.demand
        k = 4 + self.suppliers
        v[4:k] = obs.pipeline_by_supplier
        if self.arrival_slots:
            arrivals = obs.arrivals
            if arrivals is None:
                raise ValueError(f"node {obs.node!r}: the layout needs 'arrivals' observed")
            if len(arrivals) > self.arrival_slots:
                raise ValueError(
                    f"node {obs.node!r}: {len(arrivals)} periods of arrivals do not fit the "
                    f"layout's {self.arrival_slots} slots"
                )
            v[k : k + self.arrival_slots] = 0.0
            v[k : k + len(arrivals)] = arrivals
            k += self.arrival_slots
        if self.echelon:
            if obs.echelon_inventory_position is None:
                raise ValueError(
                    f"node {obs.node!r}: the layout needs 'echelon_inventory_position' observed"
                )
            v[k] = obs.echelon_inventory_position
        if self.scale != 1.0:
            v /= self.scale
        return v

    def batch(self, obs: ObservationBatch) -> np.ndarray:
        """A batch of observations as an ``(n, size)`` float32 array."""
        n = len(obs.on_hand)
        v = np.zeros((n, self.size), dtype=np.float32)
        v[:, 0] = obs.on_hand
        v[:, 1] = obs.backlog
        v[:, 2] = obs.inventory_position
        v[:, 3] = obs.demand
        k = 4 + self.suppliers
        v[:, 4:k] = np.asarray(obs.pipeline_by_supplier).reshape(n, self.suppliers)
        if self.arrival_slots:
            arrivals = np.asarray(obs.arrivals)
            width = min(arrivals.shape[1], self.arrival_slots) if arrivals.ndim == 2 else 0
            if arrivals.ndim == 2 and arrivals.shape[1] > self.arrival_slots:
                raise ValueError(
                    f"{arrivals.shape[1]} periods of arrivals do not fit the layout's "
                    f"{self.arrival_slots} slots"
                )
            v[:, k : k + width] = arrivals[:, :width]
            k += self.arrival_slots
        if self.echelon:
            v[:, k] = obs.echelon_inventory_position
        if self.scale != 1.0:
            v /= self.scale
        return v

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in checkpoints)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObservationLayout:
        return cls(**data)


@dataclass(frozen=True)
class ActionMapping:
    """How a learner's action becomes order quantities (units of stock per period).

    Attributes:
        kind: ``"discrete"``: the action is an integer ``a`` in ``[0, n)`` per supplier and
            orders ``low + a`` units (so ``n = high - low + 1``); ``"continuous"``: the action
            is a float in ``[-1, 1]`` per supplier, mapped linearly onto ``[low, high]``
            (values outside are clipped), and rounded to whole units when ``integer``.
        low: smallest order quantity.
        high: largest order quantity.
        suppliers: quantities per decision (one per supplier, multi-sourcing).
        integer: round continuous quantities to whole units.
    """

    kind: Literal["discrete", "continuous"] = "discrete"
    low: float = 0.0
    high: float = 20.0
    suppliers: int = 1
    integer: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("discrete", "continuous"):
            raise ValueError(
                f"ActionMapping.kind: must be 'discrete' or 'continuous', got {self.kind!r}"
            )
        if not (0 <= self.low < self.high < math.inf):
            raise ValueError(
                f"ActionMapping: need 0 <= low < high < inf, got low={self.low!r}, "
                f"high={self.high!r}"
            )
        if self.kind == "discrete" and not (
            float(self.low).is_integer() and float(self.high).is_integer()
        ):
            raise ValueError("ActionMapping: a discrete mapping needs whole-number low and high")
        if isinstance(self.suppliers, bool) or not isinstance(self.suppliers, int):
            raise ValueError(f"ActionMapping.suppliers: must be an integer, got {self.suppliers!r}")
        if self.suppliers < 1:
            raise ValueError(f"ActionMapping.suppliers: must be >= 1, got {self.suppliers}")

    @property
    def n(self) -> int:
        """Number of discrete actions per supplier."""
        return int(self.high - self.low) + 1

    def quantities(self, action: Any) -> np.ndarray:
        """Order quantities for a batch of actions: ``action`` has shape ``(..., suppliers)``
        (or ``(...)`` with one supplier); the result has shape ``(..., suppliers)``.

        Raises:
            ValueError: a discrete action outside ``[0, n)``, or a non-finite one.
        """
        a = np.asarray(action, dtype=np.float64)
        if self.suppliers == 1 and (a.ndim == 0 or a.shape[-1] != 1):
            a = a[..., None]
        if a.shape[-1] != self.suppliers:
            raise ValueError(
                f"action of shape {np.shape(action)}: expected {self.suppliers} per decision"
            )
        if not np.isfinite(a).all():
            raise ValueError(f"action {action!r} is not finite")
        if self.kind == "discrete":
            if (a < 0).any() or (a >= self.n).any() or (a != np.floor(a)).any():
                raise ValueError(f"discrete action {action!r} outside the integers 0..{self.n - 1}")
            return self.low + a
        q = self.low + (np.clip(a, -1.0, 1.0) + 1.0) * 0.5 * (self.high - self.low)
        return np.rint(q) if self.integer else q

    def quantity(self, action: Any) -> float | list[float]:
        """One decision's order: a number (one supplier) or one number per supplier."""
        q = self.quantities(action).reshape(self.suppliers)
        return float(q[0]) if self.suppliers == 1 else q.tolist()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionMapping:
        return cls(**data)


def longest_lead_time(lead_times: Sequence[float]) -> int:
    """Arrival slots that hold every arrival for lead times up to these (periods)."""
    return max((math.ceil(x) for x in lead_times), default=0)
