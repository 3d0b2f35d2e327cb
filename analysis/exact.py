"""Exact optimal average costs by relative value iteration: the benchmarks learners face.

Two problems of Gijsbrechts, Boute, Van Mieghem & Zhang (2022), "Can deep reinforcement
learning improve inventory management?", MSOM 24(3), and the seed paper's §V pricing firm
(:func:`pricing_optimum`, documented there; also its T-period problem, by backward
induction), all in the engine's periodic review with
``decide="start"`` (so that a policy table found here plugs into the engine unchanged):

**Lost sales** (Zipkin 2008, "Old and new methods for lost-sales inventory systems",
Operations Research 56(5)). Period ``t``: the order placed ``L`` periods ago arrives, leaving
``x`` on hand; the order ``q_t`` is placed (it arrives at the start of ``t + L``); demand
``d_t`` is served from ``x`` and the rest is lost; the period costs ``h (x - d)^+ + p (d -
x)^+``. The state is ``(x, p_1, ..., p_{L-1})`` with ``p_k`` the order due at the start of
``t + k`` (the engine's ``obs.on_hand`` and ``obs.arrivals[k - 1]``).

**Dual sourcing** (expedited lead time 0, regular lead time ``L``). Period ``t``: the regular
order placed ``L`` periods ago arrives, leaving net inventory ``x`` (on hand minus backlog);
both orders are placed, the expedited one arrives at once (net inventory ``y = x + q_e``),
the regular one at the start of ``t + L``; demand ``d_t`` is served or backlogged; the
period costs ``c_r q_r + c_e q_e + h (y - d)^+ + b (d - y)^+`` (the engine charges the
purchase when ordered and holding/backlog on the ending stock). The state is ``(x, p_1,
..., p_{L-1})`` with the regular orders due at ``t + 1, ..., t + L - 1``.

Truncation (both): orders are searched over ``0..max_order``, and inventory is kept in a
box; a transition leaving the box is clamped to its edge (stock above the top is thrown
away, backlog below the bottom forgiven). Both are exact once the box contains the
recurrent states of the optimal policy and the optimal order never reaches ``max_order``
there; the tests check that enlarging them moves the optimum by less than ``1e-4``.

Relative value iteration stops when the span of ``T V - V`` is below ``tolerance``; then
``min(T V - V) <= g* <= max(T V - V)`` for the truncated problem, and the reported cost is
the midpoint (off by at most ``tolerance / 2``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from agents.myopic import demand_pmf
from networks.distributions import Discrete, Poisson

__all__ = [
    "DualSourcingTable",
    "LostSalesTable",
    "Optimum",
    "PricingOptimum",
    "PricingSchedule",
    "PricingTable",
    "dual_sourcing_optimum",
    "dual_sourcing_scenario",
    "lost_sales_optimum",
    "lost_sales_scenario",
    "pricing_optimum",
    "pricing_problem",
]


@dataclass(frozen=True)
class Optimum:
    """The solution of one average-cost problem.

    Attributes:
        cost: the optimal long-run average cost per period (money).
        low, high: the value-iteration bounds on it (money): ``low <= optimum <= high``.
        iterations: value-iteration sweeps done.
        policy: the optimal decision module (a table), ready for the engine.
    """

    cost: float
    low: float
    high: float
    iterations: int
    policy: Any


def _relative_value_iteration(
    step, shape: tuple[int, ...], tolerance: float, max_iterations: int
) -> tuple[np.ndarray, float, float, int]:
    """Iterate ``V <- T V - (T V)[0]`` until the span of ``T V - V`` is below ``tolerance``.

    ``step(V)`` returns ``T V``. Returns ``(V, low, high, iterations)``.
    """
    v = np.zeros(shape)
    for n in range(1, max_iterations + 1):
        tv = step(v)
        diff = tv - v
        low, high = float(diff.min()), float(diff.max())
        v = tv - tv.flat[0]
        if high - low < tolerance:
            return v, low, high, n
    raise RuntimeError(
        f"relative value iteration: span {high - low:.3g} still above tolerance {tolerance} "
        f"after {max_iterations} sweeps; raise max_iterations or tolerance"
    )


# ---------------------------------------------------------------------- lost sales
def lost_sales_optimum(
    *,
    mean: float = 5.0,
    holding_cost: float = 1.0,
    lost_sales_cost: float = 9.0,
    lead_time: int = 1,
    max_stock: int | None = None,
    max_order: int | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 5000,
) -> Optimum:
    """Zipkin's lost-sales system with Poisson(``mean``) demand, solved exactly.

    Args:
        mean: mean demand per period (units).
        holding_cost: ``h``, money per unit on hand at the end of a period.
        lost_sales_cost: ``p``, money per unit lost.
        lead_time: ``L >= 1`` (periods).
        max_stock: the top of the on-hand box (units); default the ``1 - 1e-6`` quantile of
            ``L + 1`` periods of demand, above any base-stock level worth ordering up to.
        max_order: the largest order searched (units); default the ``1 - 1e-6`` quantile of
            one period's demand.
        tolerance: stop when the span of ``T V - V`` is below this (money per period).
        max_iterations: give up (``RuntimeError``) after this many sweeps.

    Returns:
        The optimum; its ``policy`` is a :class:`LostSalesTable`.
    """
    if isinstance(lead_time, bool) or not isinstance(lead_time, int) or lead_time < 1:
        raise ValueError(f"lead_time: must be an integer >= 1, got {lead_time!r}")
    from scipy import stats  # only to choose default bounds

    pmf = demand_pmf(Poisson(mean))
    top = int(stats.poisson.isf(1e-6, mean * (lead_time + 1))) if max_stock is None else max_stock
    q_max = int(stats.poisson.isf(1e-6, mean)) if max_order is None else max_order
    n_x, n_q = top + 1, q_max + 1
    d = np.arange(len(pmf))
    x = np.arange(n_x)
    # left[x, k] = P((x - D)^+ = k): what is left of x after demand
    left = np.zeros((n_x, n_x))
    for value, w in zip(d, pmf, strict=True):
        left[x, np.maximum(x - value, 0)] += w
    shortfall = np.array([np.dot(pmf, np.maximum(d - y, 0)) for y in x])
    cost = holding_cost * (x - np.dot(pmf, d)) + (holding_cost + lost_sales_cost) * shortfall
    # V is stored 2-D: (x, the pipeline p_1..p_{L-1} flattened), one column when L = 1.
    width = n_q ** (lead_time - 1)
    # shifted[j, a] = min(j + a, top): the on hand after the arrival a
    shifted = np.minimum(x[:, None] + np.arange(n_q), top)

    def expected_next(v: np.ndarray) -> np.ndarray:
        """``E[V(next)]`` for every state and order, as ``(x, p_1, ..., p_{L-1}, q)``; the
        next state is ``((x - d)^+ + a, p_2, ..., q)`` with ``a = p_1`` (``a = q`` if
        ``L = 1``), so one matrix product per value of ``a`` does the expectation."""
        # one matrix product for all a: (x, k) @ (k, (a, rest))
        return (left @ v[shifted].reshape(n_x, -1)).reshape(n_x, width, n_q)

    def step(v: np.ndarray) -> np.ndarray:
        return cost[:, None] + expected_next(v).min(axis=2)

    v, low, high, n = _relative_value_iteration(step, (n_x, width), tolerance, max_iterations)
    orders = expected_next(v).argmin(axis=2)  # ties: the smallest order
    table = orders.reshape((n_x,) + (n_q,) * (lead_time - 1))
    return Optimum((low + high) / 2, low, high, n, LostSalesTable(orders=table))


@dataclass(frozen=True, eq=False)
class LostSalesTable:
    """A lost-sales policy given as a table: ``q = orders[on_hand, arrivals[0], ...,
    arrivals[L - 2]]`` (the state of :func:`lost_sales_optimum`).

    Attributes:
        orders: integer array of shape ``(max_stock + 1,) + (max_order + 1,) * (L - 1)``.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    orders: np.ndarray = field(repr=False)

    def act(self, obs: Any) -> float:
        state = _state(obs, obs.on_hand, self.orders.ndim - 1)
        try:
            return float(self.orders[state])
        except IndexError:
            raise ValueError(
                f"LostSalesTable at node {obs.node!r}: state {state} is outside the table "
                f"{self.orders.shape}; solve with a larger max_stock or max_order"
            ) from None


def _state(obs: Any, level: float, pipeline: int) -> tuple[int, ...]:
    """``(level, arrivals[0], ..., arrivals[pipeline - 1])`` as whole numbers."""
    if obs.arrivals is None:
        raise ValueError(f"node {obs.node!r}: obs.arrivals is None; list it in `observes`")
    due = list(obs.arrivals[:pipeline]) + [0.0] * (pipeline - len(obs.arrivals))
    return tuple(round(float(v)) for v in (level, *due))


# ---------------------------------------------------------------------- dual sourcing
#: Gijsbrechts et al. (2022)'s demand: uniform on {0, ..., 4}.
UNIFORM_0_4 = Discrete(values=(0.0, 1.0, 2.0, 3.0, 4.0), probs=(0.2,) * 5)


def dual_sourcing_optimum(
    *,
    lead_time: int = 2,
    regular_cost: float = 100.0,
    expedited_cost: float = 105.0,
    holding_cost: float = 5.0,
    backlog_cost: float = 495.0,
    demand: Any = UNIFORM_0_4,
    min_stock: int | None = None,
    max_stock: int | None = None,
    max_order: int | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 5000,
) -> Optimum:
    """Dual sourcing with an instant expedited supplier and backlog, solved exactly.

    Args:
        lead_time: the regular lead time ``L >= 1`` (periods).
        regular_cost, expedited_cost: ``c_r``, ``c_e``, money per unit ordered.
        holding_cost, backlog_cost: ``h``, ``b``, money per unit per period at the close.
        demand: a discrete demand distribution on whole numbers (default uniform 0..4).
        min_stock, max_stock: the net-inventory box (units); default ``-2 d_max`` and
            ``(L + 2) d_max``.
        max_order: the largest regular order searched (units); default ``2 d_max``.
        tolerance, max_iterations: as in :func:`lost_sales_optimum`.

    Returns:
        The optimum (money per period, purchases included); its ``policy`` is a
        :class:`DualSourcingTable`.
    """
    if isinstance(lead_time, bool) or not isinstance(lead_time, int) or lead_time < 1:
        raise ValueError(f"lead_time: must be an integer >= 1, got {lead_time!r}")
    pmf = demand_pmf(demand)
    d_max = len(pmf) - 1
    lo = -2 * d_max if min_stock is None else min_stock
    hi = (lead_time + 2) * d_max if max_stock is None else max_stock
    q_max = 2 * d_max if max_order is None else max_order
    y = np.arange(lo, hi + 1)  # net inventory after the expedited order
    n_y, n_q = len(y), q_max + 1
    d = np.arange(d_max + 1)
    cost = holding_cost * (pmf * np.maximum(y[:, None] - d, 0)).sum(axis=1) + backlog_cost * (
        pmf * np.maximum(d - y[:, None], 0)
    ).sum(axis=1)
    # move[y, (a, j)] = P(clamp(y - D + a) = j): demand, then the regular arrival a
    move = np.zeros((n_y, n_q, n_y))
    for a in range(n_q):
        for value, w in zip(d, pmf, strict=True):
            move[np.arange(n_y), a, np.clip(y - value + a, lo, hi) - lo] += w
    width = n_q ** (lead_time - 1)
    regular = regular_cost * np.arange(n_q)

    def after_expediting(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``U(y, p) = min_{q_r} [c_r q_r + cost(y) + E V(next)]`` and its argmin."""
        out = (move.reshape(-1, n_y) @ v).reshape(n_y, width, n_q)
        out = out + regular + cost[:, None, None]
        return out.min(axis=2), out.argmin(axis=2)

    def step(v: np.ndarray) -> np.ndarray:
        # V(x, p) = min_{y >= x} [c_e (y - x) + U(y, p)]: a suffix minimum over y
        u, _ = after_expediting(v)
        g = expedited_cost * y[:, None] + u
        return np.minimum.accumulate(g[::-1], axis=0)[::-1] - expedited_cost * y[:, None]

    v, low, high, n = _relative_value_iteration(step, (n_y, width), tolerance, max_iterations)
    u, best_regular = after_expediting(v)
    g = expedited_cost * y[:, None] + u
    # target[x] = the smallest y >= x reaching min_{y >= x} g(y), scanning y downwards
    target = np.empty_like(best_regular)
    target[-1] = n_y - 1
    for i in range(n_y - 2, -1, -1):
        later = np.take_along_axis(g, target[i + 1][None, :], axis=0)[0]
        target[i] = np.where(g[i] <= later, i, target[i + 1])
    shape = (n_y,) + (n_q,) * (lead_time - 1)
    expedite = (target - np.arange(n_y)[:, None]).reshape(shape)
    regular_orders = np.take_along_axis(best_regular, target, axis=0).reshape(shape)
    policy = DualSourcingTable(
        regular=regular_orders,
        expedited=expedite,
        min_stock=lo,
        regular_supplier="regular",
        expedited_supplier="express",
    )
    return Optimum((low + high) / 2, low, high, n, policy)


@dataclass(frozen=True, eq=False)
class DualSourcingTable:
    """A dual-sourcing policy as two tables indexed by ``(net inventory - min_stock,
    arrivals[0], ..., arrivals[L - 2])`` (the state of :func:`dual_sourcing_optimum`).

    Attributes:
        regular, expedited: integer arrays of orders (units).
        min_stock: the net inventory of row 0 (units).
        regular_supplier, expedited_supplier: the supplier names the action is aligned to.
    """

    observes: ClassVar[frozenset[str]] = frozenset({"arrivals"})

    regular: np.ndarray = field(repr=False)
    expedited: np.ndarray = field(repr=False)
    min_stock: int
    regular_supplier: str
    expedited_supplier: str

    def act(self, obs: Any) -> tuple[float, ...]:
        level = obs.on_hand - obs.backlog - self.min_stock
        state = _state(obs, level, self.regular.ndim - 1)
        if state[0] < 0:
            raise ValueError(
                f"DualSourcingTable at node {obs.node!r}: state {state} below the table"
            )
        try:
            q_r, q_e = float(self.regular[state]), float(self.expedited[state])
        except IndexError:
            raise ValueError(
                f"DualSourcingTable at node {obs.node!r}: state {state} is outside the table "
                f"{self.regular.shape}; solve with a larger box"
            ) from None
        out = [0.0] * len(obs.suppliers)
        out[obs.suppliers.index(self.regular_supplier)] = q_r
        out[obs.suppliers.index(self.expedited_supplier)] = q_e
        return tuple(out)


# ---------------------------------------------------------------------- pricing (§V)
@dataclass(frozen=True)
class PricingOptimum:
    """The solution of one pricing and replenishment problem (:func:`pricing_optimum`).

    Attributes:
        profit: the optimal long-run average profit per period (money); with a horizon, the
            optimal expected profit per period from the start.
        low, high: the value-iteration bounds on it (money): ``low <= optimum <= high``;
            with a horizon both equal ``profit``.
        iterations: value-iteration sweeps done (with a horizon: the horizon).
        policy: the optimal decision module, ready for the engine: a :class:`PricingTable`,
            with a horizon a :class:`PricingSchedule`.
    """

    profit: float
    low: float
    high: float
    iterations: int
    policy: Any


def pricing_optimum(
    *,
    demand: Any,
    competitor_prices: tuple[float, ...] = (30.0,),
    unit_cost: float = 10.0,
    fixed_cost: float = 0.0,
    holding_cost: float = 1.0,
    shortage_cost: float = 2.0,
    lost_sales: bool = False,
    smoothing: float = 0.9,
    prices: tuple[float, ...] = tuple(float(p) for p in range(1, 51)),
    reference_step: float = 0.5,
    min_stock: int | None = None,
    max_stock: int | None = None,
    tolerance: float = 1e-4,
    max_iterations: int = 5000,
    horizon: int | None = None,
    start: tuple[float, float] | None = None,
) -> PricingOptimum:
    """The seed paper's §V firm (one product, lead time 1, ``decide="start"``, rivals at
    fixed prices) solved by relative value iteration over net inventory and reference price.

    Period ``t``: last period's order arrives, leaving net inventory ``x`` (on hand minus
    backlog; on hand under lost sales); the firm orders ``q`` (paid now: ``c q + K 1{q > 0}``,
    arriving at the start of ``t + 1``) and posts a price ``p`` from ``prices``; demand is
    Poisson with :class:`~sim.market.LogitDemand`'s rate at ``(p, competitor_prices, r)``;
    the period earns ``p`` per unit of demand (backlog: every unit is delivered and paid at
    its arrival price in the long run) or per unit sold (lost sales) and pays ``h`` per unit
    on hand and ``shortage_cost`` per unit backlogged or lost at its end; then the reference
    price moves to ``smoothing * r + (1 - smoothing) * p`` (:mod:`sim.market`'s timing).

    The reference price lives on a grid of step ``reference_step`` over ``[min(prices),
    max(prices)]`` and the value between grid points is interpolated linearly (the one
    approximation: the tests check that halving the step moves the optimum by less than
    0.01%). Net inventory is kept in ``[min_stock, max_stock]`` (defaults: one period's
    largest demand below zero under backlog, twice it above); transitions leaving the box
    are clamped to it (backlog below the bottom is charged the highest price per unit, so
    that no policy gains by having it forgiven), exact once it holds the optimal policy's
    recurrent states. Lost sales search every order up to the box's top, so a box of about
    90 takes seconds a sweep at 36 prices.

    With ``horizon``, the seed paper's "T-period problem" instead, by backward induction
    from its end: the last period orders nothing (an order arrives after the end), stock
    left at the end is worth nothing, and backlog left unfilled is never paid. Under lost
    sales this is exact. Under backlog it is an approximation, of the value and so of the
    policy: the unfilled units' revenue, booked at their arrival, is taken back at the final
    reference price rather than at their own arrival prices, which differ when prices move
    near the end (in the built-in cases' 100 periods the reference price has settled; the
    benchmarks report the schedule's simulated profit). ``profit`` is then the optimal
    expected profit per period from ``start``, ``(net inventory, reference price)`` (each
    rounded to its grid), ``low = high =`` it, and ``iterations`` the horizon. ``start`` is
    read only then (:func:`pricing_problem` gives the scenario's).

    Returns:
        The optimum; its ``policy`` is a :class:`PricingTable`, or with ``horizon`` a
        :class:`PricingSchedule`.
    """
    if horizon is not None:
        _check_horizon(horizon, start)
    bellman = _pricing_bellman(
        demand=demand,
        competitor_prices=competitor_prices,
        unit_cost=unit_cost,
        fixed_cost=fixed_cost,
        holding_cost=holding_cost,
        shortage_cost=shortage_cost,
        lost_sales=lost_sales,
        smoothing=smoothing,
        prices=prices,
        reference_step=reference_step,
        min_stock=min_stock,
        max_stock=max_stock,
    )
    if horizon is not None:
        return _backward_induction(bellman, horizon, start)
    # _relative_value_iteration minimises costs: hand it u = -V and T_cost(u) = -T(-u)
    u, low, high, n = _relative_value_iteration(
        lambda u: -bellman.sweep(-u), bellman.shape, tolerance, max_iterations
    )
    _, price_of, order_of = bellman.sweep(-u, policy=True)
    return PricingOptimum(-(low + high) / 2, -high, -low, n, bellman.table(price_of, order_of))


@dataclass(frozen=True, eq=False)
class PricingTable:
    """A pricing and replenishment policy as two tables indexed by ``(reference price,
    net inventory - min_stock)`` (the state of :func:`pricing_optimum`); the observed
    reference price is rounded to the nearest row.

    Attributes:
        orders: integer array of orders (units).
        prices: the price posted in each state (money per unit).
        references: the reference price of each row (money per unit, evenly spaced).
        min_stock: the net inventory of column 0 (units).
    """

    orders: np.ndarray = field(repr=False)
    prices: np.ndarray = field(repr=False)
    references: np.ndarray = field(repr=False)
    min_stock: int

    def act(self, obs: Any) -> Any:
        from sim.policy import Priced

        if obs.reference_price is None:
            raise ValueError(f"PricingTable at node {obs.node!r}: the node sets no price")
        j = self.row(obs.reference_price)
        a = round(obs.inventory_position) - self.min_stock
        if not 0 <= a < self.orders.shape[1]:
            raise ValueError(
                f"PricingTable at node {obs.node!r}: net inventory {obs.inventory_position} is "
                f"outside the table [{self.min_stock}, {self.min_stock + self.orders.shape[1] - 1}]"
            )
        return Priced(float(self.orders[j, a]), float(self.prices[j, a]))

    def row(self, reference: float) -> int:
        """The row of the reference price nearest ``reference``."""
        refs = self.references
        step = refs[1] - refs[0] if len(refs) > 1 else 1.0
        return int(np.clip(round((reference - refs[0]) / step), 0, len(refs) - 1))


@dataclass(frozen=True, eq=False)
class PricingSchedule:
    """A policy for a T-period problem (:func:`pricing_optimum` with a ``horizon``): period
    ``t`` of a run acts by ``tables[t]``; later periods are refused."""

    tables: tuple[PricingTable, ...] = field(repr=False)

    def act(self, obs: Any) -> Any:
        if not 0 <= obs.period < len(self.tables):
            raise ValueError(
                f"PricingSchedule at node {obs.node!r}: period {obs.period} is past the "
                f"horizon of {len(self.tables)} periods"
            )
        return self.tables[obs.period].act(obs)


def _check_horizon(horizon: Any, start: Any) -> None:
    """One-line errors for a bad ``horizon`` or a missing ``start``, before solving."""
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon: must be an integer >= 1, got {horizon!r}")
    if start is None:
        raise ValueError(
            "start: a finite horizon needs the first period's (net inventory, reference price)"
        )


def _backward_induction(
    bellman: _PricingBellman, horizon: int, start: tuple[float, float]
) -> PricingOptimum:
    """:func:`pricing_optimum`'s T-period problem (see there)."""
    n_x, low_x = bellman.shape[1], bellman.low_x
    a = round(start[0]) - low_x
    if not 0 <= a < n_x:
        raise ValueError(
            f"start: net inventory {start[0]} is outside the stock box [{low_x}, {low_x + n_x - 1}]"
        )
    backlog = np.minimum(np.arange(n_x) + low_x, 0)
    v = bellman.refs[:, None] * backlog[None, :]  # the end: unfilled backlog's revenue taken back
    tables = []
    for t in reversed(range(horizon)):
        v, price_of, order_of = bellman.sweep(v, policy=True, order=t < horizon - 1)
        tables.append(bellman.table(price_of, order_of))
    profit = float(v[tables[-1].row(start[1]), a]) / horizon
    return PricingOptimum(profit, profit, profit, horizon, PricingSchedule(tuple(reversed(tables))))


class _PricingBellman:
    """The §V firm's Bellman operator (:func:`_pricing_bellman`) and its state grid."""

    def __init__(self, sweep: Any, grid: np.ndarray, refs: np.ndarray, low_x: int, shape: tuple):
        self.sweep, self.grid, self.refs, self.low_x, self.shape = sweep, grid, refs, low_x, shape

    def table(self, price_of: np.ndarray, order_of: np.ndarray) -> PricingTable:
        return PricingTable(
            orders=order_of, prices=self.grid[price_of], references=self.refs, min_stock=self.low_x
        )


def _pricing_bellman(
    *,
    demand: Any,
    competitor_prices: tuple[float, ...],
    unit_cost: float,
    fixed_cost: float,
    holding_cost: float,
    shortage_cost: float,
    lost_sales: bool,
    smoothing: float,
    prices: tuple[float, ...],
    reference_step: float,
    min_stock: int | None,
    max_stock: int | None,
) -> _PricingBellman:
    """The Bellman operator of :func:`pricing_optimum`'s problem on its grid (see there);
    ``sweep(v)`` maps the next period's values ``v[reference, net inventory - low_x]`` to
    this period's."""
    from scipy import stats  # only to solve, never in act

    grid = np.asarray(prices, dtype=np.float64)
    if grid.ndim != 1 or len(grid) == 0 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"prices: must be increasing numbers, got {prices!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing: must be in [0, 1), got {smoothing!r}")
    if not reference_step > 0:
        raise ValueError(f"reference_step: must be > 0, got {reference_step!r}")
    refs = np.arange(grid[0], grid[-1] + reference_step / 2, reference_step)
    n_r = len(refs)
    # rate[i, j]: expected demand at price i and reference j
    rate = np.stack([demand.rates(grid, competitor_prices, r) for r in refs], axis=1)
    d_max = int(stats.poisson.isf(1e-10, rate.max())) + 1
    d = np.arange(d_max + 1)
    pmf = stats.poisson.pmf(d, rate[..., None])
    pmf /= pmf.sum(axis=-1, keepdims=True)
    low_x = 0 if lost_sales else (-d_max if min_stock is None else min_stock)
    high_x = 2 * d_max if max_stock is None else max_stock
    if low_x > 0 or high_x <= 0 or (lost_sales and min_stock not in (None, 0)):
        raise ValueError(
            f"stock box [{min_stock}, {max_stock}]: must contain 0 (and start at 0 under lost "
            "sales)"
        )
    x = np.arange(low_x, high_x + 1)
    n_x = len(x)
    # the next reference price for every (price, reference), as interpolation weights
    nxt = smoothing * refs[None, :] + (1 - smoothing) * grid[:, None]
    pos = np.clip((nxt - refs[0]) / reference_step, 0, n_r - 1)
    lo = np.minimum(pos.astype(int), n_r - 2) if n_r > 1 else np.zeros_like(pos, dtype=int)
    w = pos - lo if n_r > 1 else np.zeros_like(pos)
    hi = np.minimum(lo + 1, n_r - 1)
    left_over = np.maximum(x[:, None] - d[None, :], 0)  # (x - d)^+
    short = np.maximum(d[None, :] - x[:, None], 0)  # (d - x)^+
    # reward[i, j, x]: the period's expected revenue less holding and shortage costs
    held = pmf @ left_over.T
    missed = pmf @ short.T
    if lost_sales:
        sold = rate[..., None] - missed
        reward = grid[:, None, None] * sold - holding_cost * held - shortage_cost * missed
        # trans[i][j, x, k] = P((x - D)^+ = k) at price i, reference j
        one_hot = np.zeros((d_max + 1, n_x, n_x))
        for k in range(d_max + 1):
            one_hot[k, np.arange(n_x), left_over[:, k]] = 1.0
        trans = [np.einsum("rd,dxk->rxk", pmf[i], one_hot) for i in range(len(grid))]
        # ending with k on hand and ordering q gives k + q (clamped to the box)
        target = np.minimum(np.arange(n_x)[:, None] + np.arange(n_x)[None, :], n_x - 1)
        order_cost = unit_cost * np.arange(n_x) + fixed_cost * (np.arange(n_x) > 0)
    else:
        reward = grid[:, None, None] * rate[..., None] - holding_cost * held
        reward = reward - shortage_cost * missed
        after_index = np.clip(x[:, None] - d[None, :], low_x, high_x) - low_x  # y - d
        # backlog falling below the box would be forgiven after its revenue was booked: each
        # such unit is charged the highest price instead, so that no policy gains by it
        beyond = np.maximum(d[None, :] - (x - low_x)[:, None], 0)  # (d - (y - low))^+
        forgiven = [grid[-1] * (pmf[i] @ beyond.T) for i in range(len(grid))]  # (r, y)

    def order_up_to(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For ``m[r, y] = E V(y - D) - c y``: the best of not ordering (``y = x``) and
        ordering up to the best ``y > x`` at the fixed cost; its value less ``c x`` and the
        level chosen (the smallest best one)."""
        value = m.copy()
        level = np.tile(np.arange(n_x), (n_r, 1))
        best = np.full(n_r, -np.inf)
        best_y = np.zeros(n_r, dtype=int)
        for a in range(n_x - 2, -1, -1):
            take = m[:, a + 1] >= best - 1e-9
            best = np.where(take, np.maximum(m[:, a + 1], best), best)
            best_y = np.where(take, a + 1, best_y)
            order = best - fixed_cost > m[:, a]
            value[:, a] = np.where(order, best - fixed_cost, m[:, a])
            level[:, a] = np.where(order, best_y, a)
        return value, level

    def sweep(v: np.ndarray, policy: bool = False, order: bool = True) -> Any:
        """``T v``: the best price and order in every state, given the next period's
        values ``v`` (``order=False``: the best price, ordering nothing)."""
        best = np.full((n_r, n_x), -np.inf)
        price_of = np.zeros((n_r, n_x), dtype=int)
        order_of = np.zeros((n_r, n_x), dtype=int)
        for i in range(len(grid)):
            vn = (1 - w[i])[:, None] * v[lo[i]] + w[i][:, None] * v[hi[i]]  # (r, y)
            if lost_sales and not order:
                value = (trans[i] @ vn[:, :, None])[..., 0]  # k on hand, nothing ordered
                q_best = np.zeros((n_r, n_x), dtype=int)
            elif lost_sales:
                g = trans[i] @ (vn[:, target] - order_cost[None, None, :])  # (r, x, q)
                q_best = g.argmax(axis=2)
                value = np.take_along_axis(g, q_best[..., None], axis=2)[..., 0]
            else:
                m = np.einsum("rd,ryd->ry", pmf[i], vn[:, after_index]) - forgiven[i]
                if order:
                    value, level = order_up_to(m - unit_cost * x)
                    value = value + unit_cost * x
                    q_best = level - np.arange(n_x)[None, :]
                else:
                    value, q_best = m, np.zeros((n_r, n_x), dtype=int)
            total = reward[i] + value
            better = total > best + 1e-12
            best = np.where(better, total, best)
            if policy:
                price_of = np.where(better, i, price_of)
                order_of = np.where(better, q_best, order_of)
        return (best, price_of, order_of) if policy else best

    return _PricingBellman(sweep, grid, refs, low_x, (n_r, n_x))


def pricing_problem(scenario: Any, firm: str = "stage1") -> dict[str, Any]:
    """The keyword arguments of :func:`pricing_optimum` for ``firm`` of a pricing scenario
    (the built-in ``pricing_a`` .. ``pricing_d``), read from its network and market.

    Raises:
        ValueError: the scenario is not the problem :func:`pricing_optimum` solves (the
            message names what differs: the firm, its supplier, the lead time, the timing,
            the rivals).
    """
    from agents.pricing import FixedPrice

    graph = scenario.network()
    market = scenario.market(graph)
    where = f"scenario {scenario.name!r}"
    if market is None or tuple(market.firms) != (firm,):
        raise ValueError(f"{where}: {firm!r} must be the market's only firm")
    edges = list(graph.in_edges(firm, data=True))
    if len(edges) != 1 or edges[0][2].get("lead_time") != 1:
        raise ValueError(f"{where}: {firm!r} needs one supplier with lead time 1")
    if scenario.options.get("decide") != "start" or scenario.options.get("arrivals") != "batch":
        raise ValueError(f'{where}: needs decide = "start" and arrivals = "batch"')
    rivals = list(market.competitors.values())
    if not all(isinstance(r, FixedPrice) for r in rivals):
        raise ValueError(f"{where}: every competitor must keep a fixed price")
    node, edge = graph.nodes[firm], edges[0][2]
    lost = node.get("shortage") == "lost_sales"
    reference = (
        market.initial_price if market.initial_reference is None else market.initial_reference
    )
    return {
        "demand": market.demand,
        "competitor_prices": tuple(float(r.price) for r in rivals),
        "unit_cost": float(edge.get("unit_cost", 0.0)),
        "fixed_cost": float(edge.get("fixed_cost", 0.0)),
        "holding_cost": float(node.get("holding_cost", 0.0)),
        "shortage_cost": float(node.get("lost_sales_cost" if lost else "backlog_cost", 0.0)),
        "lost_sales": lost,
        "smoothing": float(market.smoothing),
        "prices": tuple(float(p) for p in range(math.ceil(market.low), int(market.high) + 1)),
        "start": (float(node.get("initial_stock", 0)), float(reference)),
    }


# ---------------------------------------------------------------------- the engine's twins
def lost_sales_scenario(
    *,
    lost_sales_cost: float = 9.0,
    lead_time: int = 1,
    mean: float = 5.0,
    holding_cost: float = 1.0,
) -> Any:
    """The built-in ``lost_sales`` scenario set to the problem :func:`lost_sales_optimum`
    solves (its node is ``stage1``; its declared policy stays base-stock 13)."""
    from scenarios.library import resolve

    return resolve("lost_sales").with_overrides(
        {
            "network.args.lead_time": lead_time,
            "network.args.lost_sales_cost": lost_sales_cost,
            "network.args.holding_cost": holding_cost,
            "network.args.demand": {"dist": "poisson", "mean": mean},
        }
    )


def dual_sourcing_scenario(
    *,
    lead_time: int = 2,
    regular_cost: float = 100.0,
    expedited_cost: float = 105.0,
    holding_cost: float = 5.0,
    backlog_cost: float = 495.0,
) -> Any:
    """The built-in ``dual_sourcing`` scenario set to the problem
    :func:`dual_sourcing_optimum` solves with its default demand (uniform on 0..4): node
    ``shop``, suppliers ``regular`` (lead time ``lead_time``) and ``express`` (lead time 0);
    its policy is a dual index with ``S_r = 2 (L + 1) + 2``, ``S_e = 2``."""
    from scenarios.library import resolve

    demand = {
        "dist": "discrete",
        "values": list(UNIFORM_0_4.values),
        "probs": list(UNIFORM_0_4.probs),
    }
    return resolve("dual_sourcing").with_overrides(
        {
            "network.args.edges": [
                ["regular", "shop", {"lead_time": lead_time, "unit_cost": regular_cost}],
                ["express", "shop", {"lead_time": 0, "unit_cost": expedited_cost}],
            ],
            "network.args.nodes": {
                "shop": {
                    "role": "retailer",
                    "holding_cost": holding_cost,
                    "backlog_cost": backlog_cost,
                    "demand": demand,
                }
            },
            "agents.shop.policy": {
                "kind": "dual_index",
                "regular_level": 2 * (lead_time + 1) + 2,
                "expedited_level": 2,
                "expedited_lead_time": 0,
                "regular_supplier": "regular",
                "expedited_supplier": "express",
            },
        }
    )
