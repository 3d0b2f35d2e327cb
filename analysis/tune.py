"""Tune a heuristic's parameters at one node (:func:`tune`), or several nodes' together
(:func:`tune_jointly`), by simulation on common random numbers.

Every candidate is simulated with the same replication seeds (:func:`analysis.experiment.
replication_seed`), so two candidates differ only by their decisions, and the comparison
is paired. The objective is the whole network's cost per period after the warm-up (the
engine's :meth:`~sim.SupplyChainModel.cost_per_period`, the ``network`` row of
``cost_per_period`` in :func:`analysis.experiment.replicate`).

The search is a bounded pattern search on a grid: from an analytic starting point (the
newsvendor level of the demand over the protection period, read from a short pilot run of
the scenario as declared and from the graph's costs and lead times; levels that follow
the demand, ``per_demand``, cover the protection period), it moves to the best neighbour
(one parameter at a time ± step, or all together ± step) while that lowers the mean cost,
then halves the step down to the grid's unit (1 for levels and caps, 0.25 for the constant
quantities of ``constant_order`` and ``tailored_base_surge`` and for ``per_demand``). With
two or more parameters it also starts from four points shifted along the diagonal (the
cost surfaces have local minima on the grid), and (s, S) where orders cost a fixed amount
from ``S - s`` the economic order quantity too (the first start has ``S - s = 1``), and
levels that follow the demand from the stationary levels too (each analytic start's search
has an equal share of the budget). Every point evaluated is kept in the result's
table. A joint search is the same search over all the nodes' parameters at once. The cost
of the winner is an optimistic estimate
(it was selected on the same random numbers); re-evaluate it on other seeds
(:func:`evaluate` with another ``seed``) for an unbiased one.

In a network of several products a policy is tuned per stock point, named ``(node,
product)``: its analytic start reads that product's demand, costs and lead times, and its
module replaces the node's for that product only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import agents
from networks.attributes import is_source, node_value, sku_product, split_key
from networks.distributions import parse_distribution
from scenarios import Scenario, ScenarioError
from scenarios.scenario import did_you_mean
from sim import ENGINES
from sim.policy import Policy

from .experiment import replication_seed
from .statistics import Estimate, mean_ci

__all__ = ["KINDS", "JointTuneResult", "TuneResult", "evaluate", "tune", "tune_jointly"]


# ---------------------------------------------------------------------- evaluation
def _node(scenario: Scenario, graph: Any, name: Any) -> Any:
    names = {str(n): n for n in graph.nodes if not is_source(graph, n)}
    if name in graph.nodes and not is_source(graph, name):
        return name
    if str(name) not in names:
        raise ScenarioError(
            f"node {name!r}: not a stocking node of scenario {scenario.name!r}"
            f"{did_you_mean(str(name), list(names))}"
        )
    return names[str(name)]


def _key(scenario: Scenario, graph: Any, key: Any) -> Any:
    """A key of ``policies`` as the engine reads it: a stocking node (by its name), or a
    ``(node, product)`` stock point (SKU)."""
    name, product = split_key(graph, key)
    node = _node(scenario, graph, name)
    return node if product is None else _sku(graph, (node, product))


def _sku(graph: Any, key: Any) -> tuple[Any, str]:
    """The one stock point a key names: a ``(node, product)`` SKU, or a node of a network
    of one product."""
    node, product = split_key(graph, key)
    try:
        return node, sku_product(graph, node, product)
    except ValueError as e:
        raise ScenarioError(str(e)) from None


def evaluate(
    scenario: Scenario,
    policies: Mapping[Any, Policy],
    *,
    replications: int | None = None,
    periods: int | None = None,
    warmup: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """The network cost per period of each replication, with ``policies`` (node, or
    ``(node, product)`` SKU, -> decision module, any object with ``act``) replacing the
    scenario's there (a SKU's module replaces the node's for that product only).

    Replication ``r`` runs with seed ``replication_seed(seed, r)``, as in
    :func:`analysis.experiment.replicate`; defaults are the scenario's ``[run]`` values.

    Returns:
        One cost per replication (money per period), in replication order.
    """
    replications = scenario.replications if replications is None else replications
    periods = scenario.periods if periods is None else periods
    warmup = _warmup(scenario, periods) if warmup is None else warmup
    seed = scenario.seed if seed is None else seed
    graph = scenario.network()
    chosen = {
        **scenario.policies(graph),
        **{_key(scenario, graph, key): p for key, p in policies.items()},
    }
    costs = np.empty(replications)
    for r in range(replications):
        model = ENGINES[scenario.engine](
            graph, chosen, seed=replication_seed(seed, r), **scenario.options
        )
        model.run(periods)
        costs[r] = model.cost_per_period(warmup)
    return costs


def _warmup(scenario: Scenario, periods: int) -> int:
    """The scenario's warm-up, or a tenth of a horizon shorter than it."""
    return scenario.warmup if scenario.warmup < periods else periods // 10


# ---------------------------------------------------------------------- search spaces
@dataclass(frozen=True)
class _Parameter:
    name: str
    start: float
    low: float
    high: float
    unit: float  # the grid's finest step
    step: float  # the first step


@dataclass(frozen=True)
class _Space:
    cls: type
    fixed: dict[str, Any]
    parameters: tuple[_Parameter, ...]
    # more analytic starts (name -> value, the others as in ``parameters``)
    other_starts: tuple[dict[str, float], ...] = ()


@dataclass(frozen=True)
class _Facts:
    """What the starting points are computed from (units of stock and periods)."""

    mean: float  # demand seen per period
    std: float
    ratio: float  # shortage / (shortage + holding)
    lead_time: float  # the (slowest) supplier's
    expedited_lead_time: int  # the fastest supplier's
    regular: Any
    expedited: Any
    review: int  # 1 if orders come before the period's demand (decide="start"), else 0
    holding: float  # money per unit per period
    fixed_cost: float  # money per order placed (the dearest supplier's)


def _newsvendor(facts: _Facts, periods: float) -> int:
    from scipy import stats

    z = float(stats.norm.ppf(min(max(facts.ratio, 1e-6), 1 - 1e-6)))
    return max(0, round(facts.mean * periods + z * facts.std * math.sqrt(max(periods, 0))))


def _level(name: str, start: float, top: int) -> _Parameter:
    return _Parameter(name, float(start), 0.0, float(top), 1.0, 2.0)


def _quantity(name: str, start: float, top: float) -> _Parameter:
    return _Parameter(name, round(start * 4) / 4, 0.0, float(top), 0.25, 1.0)


def _single(facts: _Facts, kind: str) -> _Space:
    s0 = _newsvendor(facts, facts.lead_time + facts.review)
    top = 3 * s0 + 10
    cap = math.ceil(facts.mean + 2 * facts.std)
    spaces = {
        "base_stock": (agents.BaseStock, [_level("level", s0, top)]),
        "capped_base_stock": (
            agents.CappedBaseStock,
            [_level("level", s0, top), _level("cap", cap, top)],
        ),
        "s_S": (
            agents.SS,
            [_Parameter("s", s0 - 1, -top, top, 1.0, 2.0), _level("S", s0, top)],
        ),
        "constant_order": (
            agents.ConstantOrder,
            [_quantity("quantity", facts.mean, 3 * facts.mean + 1)],
        ),
    }
    if kind.startswith("demand_tracking"):
        # levels that follow the last demand seen: about the protection period's demand
        # (per_demand periods of it) plus the newsvendor's safety stock
        cover = facts.lead_time + facts.review
        safety = s0 - round(facts.mean * cover)
        per_demand = _Parameter("per_demand", round(cover * 4) / 4, 0.0, 3 * cover + 2, 0.25, 1.0)
        spaces["demand_tracking_base_stock"] = (
            agents.DemandTrackingBaseStock,
            [_Parameter("level", safety, -top, top, 1.0, 2.0), per_demand],
        )
        spaces["demand_tracking_s_S"] = (
            agents.DemandTrackingSS,
            [
                _Parameter("s", safety - 1, -top, top, 1.0, 2.0),
                _Parameter("S", safety, -top, top, 1.0, 2.0),
                per_demand,
            ],
        )
    cls, parameters = spaces[kind]
    others: list[dict[str, float]] = []
    if kind.startswith("demand_tracking"):  # the stationary policy: its level does not move
        others.append({"level": s0, "s": s0 - 1, "S": s0, "per_demand": 0.0})
    if kind in ("s_S", "demand_tracking_s_S") and facts.fixed_cost > 0 and facts.holding > 0:
        # where orders cost a fixed amount, (s, S) is also searched from S - s an economic
        # order quantity apart (the first start, S - s = 1, is base stock's neighbour)
        eoq = round(math.sqrt(2 * facts.fixed_cost * facts.mean / facts.holding))
        if eoq > 1:
            others.append({"s": parameters[1].start - eoq})
    names = {p.name for p in parameters}
    starts = tuple({k: v for k, v in o.items() if k in names} for o in others)
    return _Space(cls, {}, tuple(parameters), starts)


def _dual(facts: _Facts, kind: str) -> _Space:
    if facts.regular is None:
        raise ValueError(f"--policy {kind}: the node needs two suppliers (a slow and a fast one)")
    fast = _newsvendor(facts, facts.expedited_lead_time + facts.review)
    slow = _newsvendor(facts, facts.lead_time + facts.review)
    top = 3 * slow + 10
    suppliers = {"regular_supplier": facts.regular, "expedited_supplier": facts.expedited}
    window = {"expedited_lead_time": facts.expedited_lead_time}
    cap = math.ceil(facts.mean + facts.std)
    if kind == "dual_index":
        return _Space(
            agents.DualIndex,
            {**window, **suppliers},
            (_level("regular_level", slow, top), _level("expedited_level", fast, top)),
        )
    if kind == "single_index":  # one index: the expedited window covers every arrival
        return _Space(
            agents.DualIndex,
            {"expedited_lead_time": math.ceil(facts.lead_time), **suppliers},
            (_level("regular_level", slow, top), _level("expedited_level", slow - 2, top)),
        )
    if kind == "capped_dual_index":
        return _Space(
            agents.CappedDualIndex,
            {**window, **suppliers},
            (
                _level("regular_level", slow, top),
                _level("expedited_level", fast, top),
                _level("cap", cap, top),
            ),
        )
    return _Space(  # tailored_base_surge
        agents.TailoredBaseSurge,
        {**window, **suppliers},
        (
            _quantity("regular_quantity", 0.8 * facts.mean, 3 * facts.mean + 1),
            _level("expedited_level", fast, top),
        ),
    )


#: Policy kinds :func:`tune` searches, and how their search space is built.
KINDS: dict[str, Callable[[_Facts, str], _Space]] = {
    "base_stock": _single,
    "capped_base_stock": _single,
    "s_S": _single,
    "constant_order": _single,
    "demand_tracking_base_stock": _single,
    "demand_tracking_s_S": _single,
    "dual_index": _dual,
    "single_index": _dual,
    "capped_dual_index": _dual,
    "tailored_base_surge": _dual,
}


def _facts(scenario: Scenario, key: Any, seed: int) -> _Facts:
    """Demand statistics of the stock point ``key`` names (:func:`_sku`) from a pilot run
    of the scenario as declared; its costs and lead times from the graph."""
    graph = scenario.network()
    node, product = _sku(graph, key)
    pilot = min(scenario.periods, 1000)
    model = scenario.build(seed=replication_seed(seed, 0))
    model.run(pilot)
    table = model.results()
    seen = (
        table[
            (table["node"].astype(str) == str(node))
            & (table["product"].astype(str) == str(product))
            & (table["period"] >= pilot // 10)
        ]
        .groupby("period", observed=True)["demand"]
        .sum()
    )
    holding = float(node_value(graph, node, "holding_cost", product) or 0.0)
    lost = node_value(graph, node, "shortage", product) == "lost_sales"
    shortage = float(
        node_value(graph, node, "lost_sales_cost" if lost else "backlog_cost", product) or 0.0
    )
    leads = {}
    for u in graph.predecessors(node):
        data = graph.edges[u, node]
        lead = parse_distribution(data["lead_time"], "lead_time").mean
        leads[u] = float(lead) + float(data.get("order_lead_time", 0) or 0)
    slow = max(leads, key=leads.get)
    fast = min(leads, key=leads.get)
    return _Facts(
        mean=float(seen.mean()),
        std=float(seen.std()) if len(seen) > 1 else 0.0,
        ratio=shortage / (shortage + holding) if shortage + holding > 0 else 0.5,
        lead_time=leads[slow],
        expedited_lead_time=round(leads[fast]),
        regular=slow if len(leads) > 1 else None,
        expedited=fast if len(leads) > 1 else None,
        review=1 if scenario.options.get("decide") == "start" else 0,
        holding=holding,
        fixed_cost=max(float(graph.edges[u, node].get("fixed_cost", 0) or 0) for u in leads),
    )


# ---------------------------------------------------------------------- the search
@dataclass(frozen=True)
class TuneResult:
    """The best parameters found and how they were found.

    Attributes:
        node: the tuned node, or ``(node, product)`` stock point.
        kind: the policy kind.
        parameters: the best parameters (``name -> value``).
        policy: the decision module with them.
        estimate: its network cost per period over the replications (mean, 95% CI).
        costs: its cost in each replication (money per period).
        table: every point evaluated: the parameters, ``cost`` (mean) and ``ci95``, in the
            order they were evaluated.
        settings: replications, periods, warmup and seed used.
    """

    node: Any
    kind: str
    parameters: dict[str, float]
    policy: Policy
    estimate: Estimate
    costs: np.ndarray
    table: pd.DataFrame
    settings: dict[str, int]


def tune(
    scenario: Scenario,
    node: Any,
    kind: str,
    *,
    replications: int | None = None,
    periods: int | None = None,
    warmup: int | None = None,
    seed: int | None = None,
    max_evaluations: int = 200,
) -> TuneResult:
    """Search the best parameters of policy ``kind`` at ``node`` on common random numbers.

    Args:
        scenario: any scenario; the other nodes keep their declared policies.
        node: the node to tune (its name), or a ``(node, product)`` stock point (SKU): in
            a network of several products a node is tuned one product at a time.
        kind: one of :data:`KINDS`.
        replications, periods, warmup, seed: the simulation settings of every candidate
            (defaults: the scenario's ``[run]``).
        max_evaluations: stop searching after this many distinct points.

    Raises:
        ScenarioError: no such node or product, or a bare node of a network of several
            products.
        ValueError: an unknown kind, or a dual-sourcing kind at a node with one supplier.
    """
    team = tune_jointly(
        scenario,
        {node: kind},
        replications=replications,
        periods=periods,
        warmup=warmup,
        seed=seed,
        max_evaluations=max_evaluations,
    )
    (node,) = team.policies
    return TuneResult(
        node=node,
        kind=kind,
        parameters=team.parameters[node],
        policy=team.policies[node],
        estimate=team.estimate,
        costs=team.costs,
        table=team.table,
        settings=team.settings,
    )


@dataclass(frozen=True)
class JointTuneResult:
    """The best parameters of several nodes' policies, searched together.

    Attributes:
        kinds: node (or ``(node, product)``) -> the policy kind tuned there.
        parameters: node -> its best parameters (``name -> value``).
        policies: node -> the decision module with them.
        estimate: the network cost per period with all of them (mean, 95% CI).
        costs: that cost in each replication (money per period).
        table: every point evaluated: one column per parameter (``node:name``, or
            ``node:product:name`` for a SKU, when several are tuned, else ``name``),
            ``cost`` (mean) and ``ci95``, in the order they were evaluated.
        settings: replications, periods, warmup and seed used.
    """

    kinds: dict[Any, str]
    parameters: dict[Any, dict[str, float]]
    policies: dict[Any, Policy]
    estimate: Estimate
    costs: np.ndarray
    table: pd.DataFrame
    settings: dict[str, int]


def tune_jointly(
    scenario: Scenario,
    kinds: Mapping[Any, str],
    *,
    replications: int | None = None,
    periods: int | None = None,
    warmup: int | None = None,
    seed: int | None = None,
    max_evaluations: int = 200,
    start: Mapping[Any, Mapping[str, float]] | None = None,
) -> JointTuneResult:
    """Search the best parameters of several nodes' policies together (``kinds``: node, or
    ``(node, product)`` stock point, -> policy kind), on common random numbers: one pattern
    search over all their parameters, each candidate a simulation of the network with all of
    them in place. Tuning nodes one at a time misses what they trade between them (a
    warehouse's stock against its retailers'); this search moves each parameter alone and
    all of them together.

    Arguments and errors as :func:`tune`'s; ``max_evaluations`` counts joint points.
    ``start`` (node -> parameter -> value) replaces the analytic start where it names a
    value: e.g. a simpler policy's tuned parameters, from which a richer one's search goes
    on (a local search in many parameters keeps the basin it starts in).
    """
    if not kinds:
        raise ValueError("kinds: name at least one node and its policy kind")
    for kind in kinds.values():
        if kind not in KINDS:
            raise ValueError(f"--policy {kind!r}: cannot tune it{did_you_mean(kind, list(KINDS))}")
    replications = scenario.replications if replications is None else replications
    if replications < 2:
        raise ValueError(
            f"replications: need at least 2 for a confidence interval, got {replications}"
        )
    periods = scenario.periods if periods is None else periods
    warmup = _warmup(scenario, periods) if warmup is None else warmup
    seed = scenario.seed if seed is None else seed
    graph = scenario.network()
    keys = [_key(scenario, graph, key) for key in kinds]
    skus = [_sku(graph, key) for key in keys]
    if len(set(skus)) < len(skus):
        raise ValueError(f"kinds: a node is named twice in {list(kinds)}")
    spaces = {
        key: KINDS[kind](_facts(scenario, key, seed), kind)
        for key, kind in zip(keys, kinds.values(), strict=True)
    }
    parameters = tuple(p for space in spaces.values() for p in space.parameters)
    # a node's label is its name, a SKU's "node:product"
    labels = [":".join(str(x) for x in split_key(graph, key) if x is not None) for key in keys]
    columns = [
        p.name if len(spaces) == 1 else f"{label}:{p.name}"
        for label, space in zip(labels, spaces.values(), strict=True)
        for p in space.parameters
    ]

    def split(point: tuple[float, ...]) -> dict[Any, dict[str, float]]:
        values, at = {}, 0
        for node, space in spaces.items():
            names = [p.name for p in space.parameters]
            values[node] = dict(zip(names, point[at : at + len(names)], strict=True))
            at += len(names)
        return values

    def build(point: tuple[float, ...]) -> dict[Any, Policy]:
        return {
            node: spaces[node].cls(**spaces[node].fixed, **values)
            for node, values in split(point).items()
        }

    seen: dict[tuple[float, ...], np.ndarray | None] = {}

    def cost(point: tuple[float, ...]) -> float:
        if point not in seen:
            try:
                policies = build(point)
            except ValueError:  # outside a policy's domain (s >= S, ...)
                seen[point] = None
            else:
                seen[point] = evaluate(
                    scenario,
                    policies,
                    replications=replications,
                    periods=periods,
                    warmup=warmup,
                    seed=seed,
                )
        costs = seen[point]
        return math.inf if costs is None else float(costs.mean())

    given = {_key(scenario, graph, key): values for key, values in (start or {}).items()}
    unknown = [
        f"{n}:{name}"
        for n, values in given.items()
        for name in values
        if n not in spaces or name not in {p.name for p in spaces[n].parameters}
    ]
    if unknown:
        raise ValueError(f"start: {', '.join(unknown)} is not a tuned node's parameter")
    start = tuple(
        _value(given.get(node, {}).get(p.name, p.start), p)
        for node, space in spaces.items()
        for p in space.parameters
    )
    # Cost surfaces of several levels have local minima on the integer grid (the single
    # index's does), and a local search keeps the basin it starts in: where kinds have
    # other analytic starts (the k-th of every node's together), each analytic start's
    # search has an equal share of the budget; with two or more parameters, searches also
    # start 4 and 8 first steps away from the first start along the diagonal.
    starts = [start]
    for k in range(max(len(space.other_starts) for space in spaces.values())):
        moved = [
            space.other_starts[k] if k < len(space.other_starts) else {}
            for space in spaces.values()
        ]
        other = tuple(
            _value(values.get(p.name, p.start), p)
            for space, values in zip(spaces.values(), moved, strict=True)
            for p in space.parameters
        )
        if other not in starts:
            starts.append(other)
    analytic = len(starts)
    if len(parameters) > 1:
        for k in (-4, 4, -8, 8):
            shifted = tuple(
                _value(x + k * p.step / 2, p) for x, p in zip(start, parameters, strict=True)
            )
            if all(p.low <= x <= p.high for x, p in zip(shifted, parameters, strict=True)):
                starts.append(shifted)
    current, best = start, math.inf
    for k, origin in enumerate(starts):
        if len(seen) >= max_evaluations:
            break
        limit = max_evaluations
        if k < analytic:  # this start's share of what is left to the analytic ones
            limit = len(seen) + (max_evaluations - len(seen)) // (analytic - k)
        point, value = _pattern_search(
            origin, cost, parameters, lambda limit=limit: len(seen) >= limit
        )
        if value < best:
            current, best = point, value
    rows = []
    for point, costs in seen.items():
        if costs is not None:
            est = mean_ci(costs)
            rows.append(
                {**dict(zip(columns, point, strict=True)), "cost": est.mean, "ci95": est.half_width}
            )
    return JointTuneResult(
        kinds=dict(zip(keys, kinds.values(), strict=True)),
        parameters=split(current),
        policies=build(current),
        estimate=mean_ci(seen[current]),
        costs=seen[current],
        table=pd.DataFrame(rows),
        settings={"replications": replications, "periods": periods, "warmup": warmup, "seed": seed},
    )


def _pattern_search(
    start: tuple[float, ...],
    cost: Callable[[tuple[float, ...]], float],
    parameters: tuple[_Parameter, ...],
    exhausted: Callable[[], bool],
) -> tuple[tuple[float, ...], float]:
    """Move to the best improving neighbour until none improves, then halve the steps down
    to the grid's unit; returns the point reached and its cost."""
    current, best = start, cost(start)
    steps = [p.step for p in parameters]
    while not exhausted():
        moved = False
        for point in _neighbours(current, steps, parameters):
            if exhausted():
                break
            value = cost(point)
            if value < best:
                current, best, moved = point, value, True
        if moved:
            continue
        if all(s <= p.unit for s, p in zip(steps, parameters, strict=True)):
            break
        steps = [max(s / 2, p.unit) for s, p in zip(steps, parameters, strict=True)]
    return current, best


def _value(x: float, parameter: _Parameter) -> float:
    """``x`` on the parameter's grid (a plain ``int`` on a grid of whole numbers)."""
    if parameter.unit == 1:
        return round(x)
    return round(round(x / parameter.unit) * parameter.unit, 9)


def _neighbours(
    point: tuple[float, ...], steps: list[float], parameters: tuple[_Parameter, ...]
) -> list[tuple[float, ...]]:
    """Each parameter ± its step, and all of them together ± their steps, inside bounds."""
    moves = []
    n = len(point)
    for k, sign in itertools.product(range(n), (-1, 1)):
        delta = [0.0] * n
        delta[k] = sign * steps[k]
        moves.append(delta)
    if n > 1:
        moves += [[s * sign for s in steps] for sign in (-1, 1)]
    out = []
    for delta in moves:
        candidate = tuple(
            _value(x + dx, p) for x, dx, p in zip(point, delta, parameters, strict=True)
        )
        if all(p.low <= x <= p.high for x, p in zip(candidate, parameters, strict=True)):
            out.append(candidate)
    return out
