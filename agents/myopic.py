"""Myopic policies for the periodic-review lost-sales inventory system.

Timing (the engine's ``decide="start"``, the seed paper's and Zipkin's): at the start of
period ``t`` the shipments due arrive, leaving ``x_t = obs.on_hand``; the order ``q_t`` is
placed and arrives at the start of ``t + L`` (``L >= 1``); then the demand ``d_t`` is served
and what cannot be served is lost; the period is charged ``h * (ending on hand) + p *
(lost)``. ``obs.arrivals[k] = a_k`` is the quantity due at the start of ``t + 1 + k``. So the
on hand at the start of period ``t + k + 1`` before this period's order is::

    X_0 = x_t,   X_{k+1} = (X_k - d_{t+k})^+ + a_k          (k = 0, ..., L - 1)

and ``X_L + q_t`` is the stock that serves ``d_{t+L}``. With the one-period cost
``G(y) = h * E[(y - D)^+] + p * E[(D - y)^+]``:

* **myopic-1** orders the ``q`` minimising ``C_1(q) = E[G(X_L + q)]``, the expected cost of
  period ``t + L``, the first period the order can affect (Zipkin 2008, §4 "myopic");
* **myopic-2** orders the ``q`` minimising the expected cost of periods ``t + L`` and
  ``t + L + 1`` when the next order ``q_{t+1}`` is in turn chosen myopically, after
  ``d_t`` is seen::

      C_2(q) = E[G(X_L + q)] + E_{d_t}[ min_{q' >= 0} E[G(W + q') | d_t] ],
      W = (X_L + q - d_{t+L})^+ + a_L,

  i.e. Zipkin's "myopic2": the one-step lookahead ``min_z {q^(x, z) + E[min_z' q^(x', z')]}``
  with the myopic cost ``q^`` as the approximate cost-to-go (Zipkin 2008, "Old and new
  methods for lost-sales inventory systems", Operations Research 56(5); used as a baseline
  by Gijsbrechts, Boute, Van Mieghem & Zhang 2022, MSOM 24(3)). Some later codes read
  "myopic-2" as the two-period cost with ``q' = 0``; that is *not* what is computed here.
  No discounting (Zipkin's average-cost setting).

The distributions are exact: demand (``constant``, ``poisson`` or ``discrete`` with whole
values; Poisson's support is cut where the tail mass falls below ``1e-12`` and
renormalised) is pushed through the recursion above on the integer lattice. ``q`` is
searched over whole numbers: myopic-1 over ``0..y*`` and myopic-2 over ``0..y* + d_max``,
where ``y*`` is the smallest minimiser of ``G`` (the newsvendor level, the first ``y`` with
``P(D <= y) >= p / (p + h)``) and ``d_max`` the largest demand in the support; beyond these
bounds the costs are non-decreasing in ``q`` (``X_L >= 0``), so nothing is missed. Among
equal costs (within ``1e-9`` relative) the smallest ``q`` is ordered.

Backlog is ignored (lost sales are assumed); ``on_hand`` and ``arrivals`` must be whole
numbers of units (they are, when demand, initial stock and orders are).

``demand``, ``h``, ``p`` and ``L`` describe the node the policy runs at, which the network
describes too: :meth:`Myopic.bind` (called by scenarios for the node a policy is assigned
to) reads the ones not given from the node (``demand``, ``holding_cost``,
``lost_sales_cost``; ``L`` = the supply edge's constant ``lead_time`` plus its
``order_lead_time``) and refuses given ones that disagree with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from networks.attributes import EDGE_DEFAULTS, node_value, products
from networks.distributions import Constant, Discrete, Poisson, parse_distribution

from . import _checks

if TYPE_CHECKING:  # sim is imported only for type hints: agents needs no engine
    import networkx as nx

    from sim.policy import InventoryObservation, ObservationBatch

__all__ = ["TAIL_MASS", "Myopic"]

#: Poisson demand support is truncated where the remaining tail mass is below this.
TAIL_MASS = 1e-12
_WHOLE = 1e-6  # tolerance for "a whole number of units"
_TIE = 1e-9  # relative tolerance when breaking ties towards the smallest order


def _whole_values(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    rounded = np.round(arr)
    bad = np.abs(arr - rounded) > _WHOLE
    if bad.any():
        raise ValueError(
            f"demand: Myopic works in whole units; got the non-whole value {float(arr[bad][0])!r}"
        )
    return rounded.astype(np.int64)


def demand_pmf(dist: Any) -> np.ndarray:
    """The demand distribution as probabilities of ``0, 1, ..., d_max`` (sums to 1).

    Raises:
        ValueError: the distribution is not a discrete one on whole numbers.
    """
    if isinstance(dist, Constant):
        (value,) = _whole_values([dist.value])
        pmf = np.zeros(value + 1)
        pmf[value] = 1.0
        return pmf
    if isinstance(dist, Poisson):
        from scipy import stats  # only when a policy is built, never in act

        if dist.mean == 0:
            return np.ones(1)
        top = int(stats.poisson.isf(TAIL_MASS, dist.mean)) + 2
        tail = stats.poisson.sf(np.arange(top + 1), dist.mean)  # P(D > k)
        d_max = int(np.argmax(tail < TAIL_MASS))
        pmf = stats.poisson.pmf(np.arange(d_max + 1), dist.mean)
        return pmf / pmf.sum()
    if isinstance(dist, Discrete):
        values = _whole_values(dist.values)
        probs = np.asarray(dist.probs, dtype=float)
        pmf = np.bincount(values, weights=probs)
        pmf = pmf[: int(np.flatnonzero(pmf > 0)[-1]) + 1]
        return pmf / pmf.sum()
    raise ValueError(
        "demand: Myopic needs a discrete demand distribution (constant, poisson, or "
        f"discrete with whole values), got {type(dist).__name__} {dist!r}"
    )


@dataclass(frozen=True, kw_only=True)
class Myopic:
    """Myopic-1 or myopic-2 ordering for lost sales; see the module docstring.

    Reference: Zipkin (2008), "Old and new methods for lost-sales inventory systems",
    Operations Research 56(5) ("myopic" and "myopic2").

    Decision rule: ``q_t = argmin_{q in {0, 1, ...}} C_periods(q)`` with ``C_1(q) =
    E[G(X_L + q)]`` and ``C_2(q) = C_1(q) + E_{d_t}[min_{q'} E[G((X_L + q - d_{t+L})^+ +
    a_L + q') | d_t]]``, where ``X_L`` follows from ``x_t = obs.on_hand`` and ``a_k =
    obs.arrivals[k]`` (0 beyond its end) by ``X_{k+1} = (X_k - d_{t+k})^+ + a_k``.

    Attributes:
        demand: the demand per period: a declaration (``4``, ``{"dist": "poisson",
            "mean": 4}``, ``{"dist": "discrete", ...}``) or a distribution value; it is
            stored parsed.
        holding_cost: ``h``, money per unit on hand at the end of a period, ``>= 0``.
        lost_sales_cost: ``p``, money per unit of demand lost, ``>= 0``.
        lead_time: ``L`` (periods), an integer ``>= 1``.
        periods: 1 (myopic-1) or 2 (myopic-2).

    ``demand``, ``holding_cost``, ``lost_sales_cost`` and ``lead_time`` may be left out
    (``None``) when the policy is bound to a node with :meth:`bind`, which reads them from
    the network; an unbound policy with one left out cannot act.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    demand: Any = None
    holding_cost: float | None = None
    lost_sales_cost: float | None = None
    lead_time: int | None = None
    periods: int = 1

    _pmf: np.ndarray = field(init=False, repr=False, compare=False)
    _pmf_reversed: np.ndarray = field(init=False, repr=False, compare=False)
    _support: np.ndarray = field(init=False, repr=False, compare=False)
    _shortfall: np.ndarray = field(init=False, repr=False, compare=False)
    _mean: float = field(init=False, repr=False, compare=False)
    _level: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.periods not in (1, 2) or isinstance(self.periods, bool):
            raise ValueError(f"periods: must be 1 or 2, got {self.periods!r}")
        dist = self.demand
        if dist is not None and not (hasattr(dist, "draw") and hasattr(dist, "mean")):
            dist = parse_distribution(dist, "demand")
            object.__setattr__(self, "demand", dist)
        if self.holding_cost is not None:
            _checks.number("holding_cost", self.holding_cost, at_least=0)
        if self.lost_sales_cost is not None:
            _checks.number("lost_sales_cost", self.lost_sales_cost, at_least=0)
        if self.lead_time is not None:
            _checks.integer("lead_time", self.lead_time, at_least=1)
        if self._unset():  # completed by bind(); act() refuses until then
            object.__setattr__(self, "_pmf", None)
            return
        h, p = float(self.holding_cost), float(self.lost_sales_cost)
        pmf = demand_pmf(dist)
        d = np.arange(len(pmf))
        # E[(D - y)^+] for y = 0..d_max (0 at d_max and beyond)
        shortfall = np.array([np.dot(pmf[y:], d[y:] - y) for y in range(len(pmf))])
        mean = float(np.dot(pmf, d))
        costs = h * (d - mean) + (h + p) * shortfall  # G(y) = h E(y-D)^+ + p E(D-y)^+
        level = int(np.flatnonzero(costs <= costs.min() + _TIE * max(1.0, abs(costs.min())))[0])
        set_ = object.__setattr__
        set_(self, "_pmf", pmf)
        set_(self, "_pmf_reversed", pmf[::-1].copy())
        set_(self, "_support", np.flatnonzero(pmf > 0))
        set_(self, "_shortfall", shortfall)
        set_(self, "_mean", mean)
        set_(self, "_level", level)

    def _unset(self) -> list[str]:
        return [
            name
            for name in ("demand", "holding_cost", "lost_sales_cost", "lead_time")
            if getattr(self, name) is None
        ]

    # ------------------------------------------------------------------ public
    def bind(self, graph: nx.DiGraph, node: Any) -> Myopic:
        """This policy for ``node`` of ``graph``: parameters left out are read from the node
        (``demand``, ``holding_cost``, ``lost_sales_cost``) and its supply edge (``lead_time``
        = constant shipping lead time + ``order_lead_time``); given ones must agree with it.

        Raises:
            ValueError: ``"<parameter>: ..."`` naming the node and both values, or why the
                node cannot give the parameter.
        """
        product = products(graph)[0]
        suppliers = list(graph.predecessors(node))
        from_node: dict[str, Any] = {
            "holding_cost": float(node_value(graph, node, "holding_cost", product)),
            "lost_sales_cost": float(node_value(graph, node, "lost_sales_cost", product)),
        }
        demand = node_value(graph, node, "demand", product)
        if demand is not None:
            from_node["demand"] = parse_distribution(demand, f"node {node!r} demand")
        if len(suppliers) == 1:
            edge = graph.edges[suppliers[0], node]
            shipping = parse_distribution(edge["lead_time"], f"edge {suppliers[0]!r}->{node!r}")
            total = (
                shipping.value + edge.get("order_lead_time", EDGE_DEFAULTS["order_lead_time"])
                if isinstance(shipping, Constant)
                else None
            )
            if total is not None and float(total).is_integer():
                from_node["lead_time"] = int(total)
        if "demand" not in from_node and self.demand is None:
            raise ValueError(f"demand: node {node!r} has no customer demand; give demand")
        if "lead_time" not in from_node and self.lead_time is None:
            raise ValueError(
                f"lead_time: node {node!r} has no single supply edge with a constant whole lead "
                "time (lead_time + order_lead_time); give lead_time"
            )
        values = {}
        for name, actual in from_node.items():
            given = getattr(self, name)
            if given is not None and given != actual:
                raise ValueError(
                    f"{name}: {_spec(given)!r} disagrees with node {node!r}, whose {name} is "
                    f"{_spec(actual)!r}; leave {name} out to read it from the node"
                )
            values[name] = actual
        return dataclasses.replace(self, **values)

    @property
    def newsvendor_level(self) -> int:
        """``y*``: the smallest whole ``y`` minimising the one-period cost ``G(y)``."""
        return self._level

    def one_period_cost(self, y: Any) -> np.ndarray:
        """``G(y) = h E[(y - D)^+] + p E[(D - y)^+]`` for whole ``y >= 0`` (money)."""
        y = np.asarray(y, dtype=np.int64)
        d_max = len(self._pmf) - 1
        return (
            self.holding_cost * (y - self._mean)
            + (self.holding_cost + self.lost_sales_cost) * self._shortfall[np.minimum(y, d_max)]
        )

    def objective(self, obs: InventoryObservation) -> np.ndarray:
        """``C_periods(q)`` for ``q = 0, 1, ...`` up to the search bound (money)."""
        self._check_bound(obs.node)
        return self._objective(*self._state(obs))

    def act(self, obs: InventoryObservation) -> float:
        self._check_bound(obs.node)
        return self._order(*self._state(obs))

    def act_batch(self, obs: ObservationBatch) -> np.ndarray:
        """:meth:`act` for a batch: the order depends only on the whole stock on hand and
        the next arrivals, so each distinct state is solved once."""
        self._check_bound(obs.nodes[0] if obs.nodes else None)
        if obs.arrivals is None:
            raise ValueError(
                f"Myopic at node {obs.nodes[0]!r}: obs.arrivals is None; the engine fills it "
                "only for modules whose `observes` lists it"
            )
        need = self.lead_time + self.periods - 1
        n = len(obs.on_hand)
        states = np.zeros((n, 1 + need), dtype=np.int64)
        states[:, 0] = _whole_batch(obs.on_hand, "on_hand", obs.nodes)
        for k in range(min(need, obs.arrivals.shape[1])):
            states[:, 1 + k] = _whole_batch(obs.arrivals[:, k], f"arrivals[{k}]", obs.nodes)
        unique, inverse = np.unique(states, axis=0, return_inverse=True)
        orders = np.array([self._order(int(row[0]), row[1:].tolist()) for row in unique])
        return orders[inverse.reshape(-1)]

    # ------------------------------------------------------------------ internals
    def _check_bound(self, node: Any) -> None:
        if self._pmf is None:
            raise ValueError(
                f"Myopic at node {node!r}: {', '.join(self._unset())} not given; pass them "
                "or bind the policy to its node (Myopic.bind; scenarios do)"
            )

    def _objective(self, x: int, a: list[int]) -> np.ndarray:
        if self.periods == 1:
            lo, probs = x, np.ones(1)
            for k in range(self.lead_time):
                lo, probs = self._serve(lo, probs, a[k])
            return self._expected_cost(lo, probs, self._level)
        return self._two_period(x, a)

    def _order(self, x: int, a: list[int]) -> float:
        """The order in state ``x`` (stock on hand), ``a`` (the next arrivals)."""
        costs = self._objective(x, a)
        best = costs.min()
        return float(np.flatnonzero(costs <= best + _TIE * max(1.0, abs(best)))[0])

    def _state(self, obs: InventoryObservation) -> tuple[int, list[int]]:
        if obs.arrivals is None:
            raise ValueError(
                f"Myopic at node {obs.node!r}: obs.arrivals is None; the engine fills it "
                "only for modules whose `observes` lists it"
            )
        need = self.lead_time + self.periods - 1
        x = _whole(obs.on_hand, "on_hand", obs.node)
        a = [_whole(v, f"arrivals[{k}]", obs.node) for k, v in enumerate(obs.arrivals[:need])]
        return x, a + [0] * (need - len(a))

    def _serve(self, lo: int, probs: np.ndarray, arrival: int) -> tuple[int, np.ndarray]:
        """``X -> (X - D)^+ + arrival`` for ``X`` with probabilities ``probs`` on
        ``lo, lo + 1, ...``; returns the new ``(lo, probs)``."""
        out = np.convolve(probs, self._pmf_reversed)  # X - D on lo - d_max, ...
        lo -= len(self._pmf) - 1
        if lo < 0:
            lost = out[:-lo].sum()
            out = out[-lo:].copy()
            out[0] += lost
            lo = 0
        return lo + arrival, out

    def _expected_cost(self, lo: int, probs: np.ndarray, top: int) -> np.ndarray:
        """``E[G(X + q)]`` for ``q = 0..top``, ``X`` on ``lo, lo + 1, ...``."""
        y = lo + np.arange(len(probs))
        q = np.arange(top + 1)
        return self.one_period_cost(y[None, :] + q[:, None]) @ probs

    def _two_period(self, x: int, a: list[int]) -> np.ndarray:
        lead, d_max = self.lead_time, len(self._pmf) - 1
        top = self._level + d_max
        q = np.arange(top + 1)[:, None]
        q_next = np.arange(self._level + 1)[None, :]
        empty = self.one_period_cost(a[lead] + q_next)  # G(a_L + q'): nothing left over
        # condition on d_t: X_1 = (x - d_t)^+ + a_0, grouped by value
        first, inverse = np.unique(np.maximum(x - self._support, 0) + a[0], return_inverse=True)
        weights = np.bincount(inverse, weights=self._pmf[self._support])
        total = np.zeros(top + 1)
        for start, weight in zip(first.tolist(), weights, strict=True):
            lo, probs = start, np.ones(1)
            for k in range(1, lead):
                lo, probs = self._serve(lo, probs, a[k])
            now = self._expected_cost(lo, probs, top)  # period t + L
            # period t + L + 1: W = (V + q)^+ + a_L with V = X_L - D, then the best q'.
            # E[G(W + q')] = sum_{v >= -q} P(v) G(v + s + a_L) + P(V < -q) G(a_L + q'),
            # s = q + q': suffix sums over v of P(v) G(v + s + a_L), one column per s.
            gap = np.convolve(probs, self._pmf_reversed)
            v = lo - d_max + np.arange(len(gap))
            s = np.arange(top + self._level + 1)
            terms = gap[:, None] * self.one_period_cost(np.maximum(v[:, None] + s + a[lead], 0))
            suffix = np.vstack([np.cumsum(terms[::-1], axis=0)[::-1], np.zeros((1, len(s)))])
            prefix = np.concatenate([[0.0], np.cumsum(gap)])
            cut = np.clip(-q - v[0], 0, len(gap))  # first index with v >= -q
            later = (suffix[cut, q + q_next] + prefix[cut] * empty).min(axis=1)
            total += weight * (now + later)
        return total


def _spec(value: Any) -> Any:
    """A parameter as its declaration (distributions as their spec), for messages."""
    return value.to_spec() if hasattr(value, "to_spec") else value


def _whole_batch(values: np.ndarray, name: str, nodes: list) -> np.ndarray:
    """:func:`_whole` of every value (an error names the first node at fault)."""
    rounded = np.round(values)
    bad = np.flatnonzero(np.abs(values - rounded) > _WHOLE)
    if bad.size:
        k = int(bad[0])
        _whole(float(values[k]), name, nodes[k])
    return np.maximum(rounded, 0).astype(np.int64)


def _whole(value: float, name: str, node: Any) -> int:
    rounded = round(value)
    if abs(value - rounded) > _WHOLE:
        raise ValueError(
            f"Myopic at node {node!r}: obs.{name} = {value!r} is not a whole number of units"
        )
    return max(int(rounded), 0)
