"""Safety-stock placement by the guaranteed-service model, and base-stock levels from
service levels, for any supply network.

The guaranteed-service model (GSM; Simpson 1958, Graves & Willems 2000) gives every stock
point ``j`` a *committed service time* ``S_j``: it ships every order within ``S_j`` periods.
Stage ``j`` is replenished within ``R_j = max_i (S_i + L_ij)`` periods of ordering (over its
suppliers ``i``; an external source ships at once, ``S = 0``), so its stock must cover the
demand of its *net replenishment time* ``tau_j = R_j - S_j >= 0``: the safety stock is
``z * sqrt(tau_j * sigma_j^2 + mu_j^2 * sigma_Lj^2)`` (with ``tau_j = 0`` and constant lead
times, 0: the stage holds nothing and passes its orders on), with ``z`` the standard normal quantile of
the service level, ``mu_j`` and ``sigma_j`` the mean and std of the demand it sees per period
and ``sigma_Lj`` the std of its own shipping lead time (the largest over its inputs; 0 for
constant lead times, where this is the textbook ``z * sigma_j * sqrt(tau_j)``). The
variability of an upstream stage's lead time is not passed on when that stage holds no
stock: the plan then promises more than the engine delivers (a known limit of the
lead-time term). Stages that face customers commit at most their ``max_service_time``
(node attribute, default 0). The plan minimises the holding cost of safety stock,
``sum_j holding_cost_j * safety_stock_j``.

Periods are whole: a lead time ``L`` counts as ``ceil(mean of L)`` periods, because the
engine serves a period's demand from goods that arrived by its start (:mod:`sim.model`), and
service times are whole periods.

Demand per period at a stock point is propagated through the network as the engine routes
orders: a manufacturer orders ``bom`` units from every supplier per unit it makes, any other
stock point orders from its first supplier only; means add up, and variances add up (demand
streams of different end items taken as independent). The per-period moments of a demand
declaration are its declared ones (a ``normal`` declaration's mean and std as stated, not
those of its cut at zero).

Methods (:func:`plan_safety_stocks`):

* on a network whose stock points form a *spanning tree* (no cycle when edge directions are
  ignored: serial, assembly, distribution and mixed trees) the exact dynamic programme of
  Graves & Willems (2000) over whole service times; the plan is optimal (``exact=True``,
  ``lower_bound == cost``);
* on any other acyclic network: the same programme on a maximum spanning tree (edges with
  the longest lead times kept) is a *relaxation* (dropping an edge drops a constraint
  ``R_j >= S_i + L_ij``), so its cost is a lower bound on the optimum; its service times are
  then made feasible on the whole network (``R_j`` over all suppliers) and improved by
  coordinate descent (one stage's service time at a time, exactly evaluated, until no
  change lowers the cost). The plan is feasible and its cost is within ``cost -
  lower_bound`` of the optimum (both reported); ``exact`` is ``False``.

A plan runs in the engine as installation base-stock policies with the levels
:attr:`StagePlan.base_stock_level` ``B_j = mean_j * tau_j + safety stock``: with orders
arriving ``R_j`` periods after they are placed, the stock point's backlog stays within the
demand of its last ``S_j`` periods (it ships every order within ``S_j``) whenever the demand
of ``tau_j`` periods stays within ``B_j``, which is the model's guarantee. The engine ships
as soon as it can (FIFO), never later than that; a stage with ``tau_j = 0`` holds no stock
and passes its orders on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import networkx as nx
import numpy as np

from .attributes import EDGE_DEFAULTS, is_source, products
from .distributions import (
    Constant,
    Discrete,
    Gamma,
    LogNormal,
    NegativeBinomial,
    Normal,
    Poisson,
    Trace,
    Uniform,
    parse_distribution,
)

__all__ = [
    "GuaranteedServicePlan",
    "StagePlan",
    "base_stock_levels",
    "demand_moments",
    "plan_safety_stocks",
    "replenishment_periods",
    "steady_state_start",
]


@dataclass(frozen=True)
class StagePlan:
    """The plan of one stock point. Times in periods, quantities in units per period or
    units, cost in money per period.

    Attributes:
        service_time: ``S``, the committed (outbound) service time.
        replenishment_time: ``R = max_i (S_i + L_i)`` over its suppliers.
        net_replenishment_time: ``tau = R - S``, the time its safety stock covers.
        mean_demand: mean demand per period it sees.
        std_demand: std of that demand.
        safety_stock: ``z * sqrt(tau * std_demand^2 + mean_demand^2 * lead-time std^2)``.
        base_stock_level: the base-stock level, ``mean_demand * tau + safety_stock`` rounded
            up to whole units.
        cost: ``holding_cost * safety_stock``.
    """

    service_time: int
    replenishment_time: int
    net_replenishment_time: int
    mean_demand: float
    std_demand: float
    safety_stock: float
    base_stock_level: float
    cost: float


@dataclass(frozen=True)
class GuaranteedServicePlan:
    """A safety-stock placement (see the module docstring).

    Attributes:
        stages: the plan of every stock point, by node.
        service_level: the service level it was planned for (``z`` = its normal quantile).
        cost: holding cost of all safety stock, money per period.
        lower_bound: a lower bound on the optimal cost (``cost`` itself when ``exact``).
        exact: whether ``cost`` is the optimum (the stock points form a spanning tree).
        dropped_edges: edges the tree relaxation left out (empty when ``exact``).
    """

    stages: dict[Any, StagePlan]
    service_level: float
    cost: float
    lower_bound: float
    exact: bool
    dropped_edges: tuple[tuple[Any, Any], ...]

    @property
    def service_times(self) -> dict[Any, int]:
        """The committed service time of every stock point."""
        return {n: s.service_time for n, s in self.stages.items()}

    @property
    def base_stock_levels(self) -> dict[Any, float]:
        """The engine's base-stock level of every stock point."""
        return {n: s.base_stock_level for n, s in self.stages.items()}


# ---------------------------------------------------------------------------- demand
def _moments(spec: Any, where: str) -> tuple[float, float]:
    """The declared per-period mean and std of a demand declaration."""
    dist = parse_distribution(spec, where)
    match dist:
        case Constant(value):
            return value, 0.0
        case Poisson(mean):
            return mean, math.sqrt(mean)
        case Normal(mu, std) | Gamma(mu, std) | LogNormal(mu, std) | NegativeBinomial(mu, std):
            return mu, std
        case Uniform(low, high):
            return (low + high) / 2, (high - low) / math.sqrt(12)
        case Discrete(values, probs):
            mean = float(np.dot(values, probs))
            return mean, math.sqrt(max(float(np.dot(np.square(values), probs)) - mean**2, 0.0))
        case Trace(values):
            return float(np.mean(values)), float(np.std(values))
    raise ValueError(f"{where}: no mean and std known for {spec!r}")  # a kind added later


def _single_product(graph: nx.DiGraph) -> None:
    if len(products(graph)) != 1:
        raise ValueError(
            f"graph: the planner handles one product, the network has {len(products(graph))} "
            f"({', '.join(products(graph))}); plan each product's network on its own"
        )


def _ordering_edges(graph: nx.DiGraph, node: Any) -> list[tuple[Any, float]]:
    """The suppliers ``node`` orders from, with units ordered per unit it needs: every
    supplier (times its bom) at a manufacturer, else the first supplier only, as the engine
    routes orders."""
    suppliers = list(graph.predecessors(node))
    if graph.nodes[node]["role"] != "manufacturer":
        suppliers = suppliers[:1]
    return [(u, float(graph.edges[u, node].get("bom", EDGE_DEFAULTS["bom"]))) for u in suppliers]


def demand_moments(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """Mean and std of the demand per period each stock point sees: its own customers' plus
    the orders of its customers, propagated through the bill of materials (see the module
    docstring). External sources are left out.

    Raises:
        ValueError: the network has several products, or a demand declaration is invalid.
    """
    _single_product(graph)
    mean: dict[Any, float] = {}
    var: dict[Any, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        if is_source(graph, node):
            continue
        spec = graph.nodes[node].get("demand")
        m, s = _moments(spec, f"node {node!r} demand") if spec is not None else (0.0, 0.0)
        mean[node] = mean.get(node, 0.0) + m
        var[node] = var.get(node, 0.0) + s * s
        for u, bom in _ordering_edges(graph, node):
            if not is_source(graph, u):
                mean[u] = mean.get(u, 0.0) + bom * mean[node]
                var[u] = var.get(u, 0.0) + bom * bom * var[node]
    return {n: (mean[n], math.sqrt(var[n])) for n in mean}


def replenishment_periods(graph: nx.DiGraph, u: Any, v: Any) -> int:
    """The lead time of edge ``u -> v`` in whole periods: ``ceil`` of its mean."""
    dist = parse_distribution(graph.edges[u, v]["lead_time"], f"edge {u!r}->{v!r} lead_time")
    return math.ceil(dist.mean - 1e-9)


def _whole_units(level: float) -> float:
    """A base-stock level rounded up to whole units (a hair of float error aside): stock
    moves in whole units when demand does, and the engines then fill orders in one step
    (:mod:`sim.vector` fills fractional quantities one queue rank at a time)."""
    return float(math.ceil(level - 1e-9))


def _lead_std(spec: Any) -> float:
    """The std of a lead-time declaration (0 for a constant)."""
    dist = parse_distribution(spec, "lead_time")
    if isinstance(dist, Gamma | LogNormal | Normal):
        return dist.std
    return _moments(spec, "lead_time")[1]


def _z(service_level: Any) -> float:
    if (
        isinstance(service_level, bool)
        or not isinstance(service_level, int | float)
        or not 0 < service_level < 1
    ):
        raise ValueError(f"service_level: must be a number in (0, 1), got {service_level!r}")
    return NormalDist().inv_cdf(service_level)


def base_stock_levels(graph: nx.DiGraph, service_level: float) -> dict[Any, float]:
    """Installation base-stock levels that meet ``service_level`` at every stock point when
    its suppliers always ship at once: ``mean * L + z * sqrt(L * std^2 + mean^2 * s_L^2)``
    with ``L`` the stage's lead time in whole periods and ``s_L`` its std (the largest over a
    manufacturer's inputs) and the mean and std of :func:`demand_moments`, rounded up to
    whole units. This is the guaranteed-service plan with every
    service time 0 (every stage stocks to ship at once).

    Raises:
        ValueError: ``service_level`` is not in (0, 1), or as :func:`demand_moments`.
    """
    z = _z(service_level)
    levels = {}
    for node, (mean, std) in demand_moments(graph).items():
        inputs = list(graph.predecessors(node))
        lead = max(replenishment_periods(graph, u, node) for u in inputs)
        spread = max(_lead_std(graph.edges[u, node]["lead_time"]) for u in inputs)
        safety = z * math.sqrt(lead * std**2 + (mean * spread) ** 2)
        levels[node] = _whole_units(mean * lead + safety)
    return levels


# ---------------------------------------------------------------------------- the plan
class _Problem:
    """The GSM data of a network, by stock point index."""

    def __init__(self, graph: nx.DiGraph, z: float):
        moments = demand_moments(graph)
        self.nodes = list(moments)
        self.index = {n: i for i, n in enumerate(self.nodes)}
        self.mean = np.array([moments[n][0] for n in self.nodes])
        self.std = np.array([moments[n][1] for n in self.nodes])
        self.holding = np.array(
            [float(graph.nodes[n].get("holding_cost", 0.0)) for n in self.nodes]
        )
        self.lead_std = np.zeros(len(self.nodes))  # std of the stage's own shipping lead time
        self.external = np.zeros(len(self.nodes), dtype=int)  # R from external sources alone
        self.edges: list[tuple[int, int, int]] = []  # (supplier, customer, lead periods)
        for u, v in graph.edges:
            if v not in self.index:
                continue
            lead = replenishment_periods(graph, u, v)
            spread = _lead_std(graph.edges[u, v]["lead_time"])
            self.lead_std[self.index[v]] = max(self.lead_std[self.index[v]], spread)
            if u in self.index:
                self.edges.append((self.index[u], self.index[v], lead))
            else:
                self.external[self.index[v]] = max(self.external[self.index[v]], lead)
        self.max_service = np.full(len(self.nodes), -1)  # -1: no bound
        for n in self.nodes:
            if graph.out_degree(n) == 0 or graph.nodes[n].get("demand") is not None:
                bound = graph.nodes[n].get("max_service_time", 0)
                self.max_service[self.index[n]] = math.floor(float(bound) + 1e-9)
        # every R is at most the longest lead-time path into the stage
        longest = self.external.copy()
        for v in nx.topological_sort(graph):
            if v not in self.index:
                continue
            for u in graph.predecessors(v):
                if u in self.index:
                    lead = replenishment_periods(graph, u, v)
                    longest[self.index[v]] = max(
                        longest[self.index[v]], longest[self.index[u]] + lead
                    )
        self.horizon = int(longest.max(initial=0))
        taus = np.arange(self.horizon + 1)
        self.safety = z * np.sqrt(  # [stage, tau]: safety stock covering tau periods
            taus[None, :] * self.std[:, None] ** 2 + (self.mean * self.lead_std)[:, None] ** 2
        )
        self.tau_cost = self.holding[:, None] * self.safety

    def replenishment(self, service: np.ndarray) -> np.ndarray:
        """``R_j = max(external, max_i S_i + L_ij)`` over all edges."""
        out = self.external.copy()
        for u, v, lead in self.edges:
            out[v] = max(out[v], service[u] + lead)
        return out

    def cost(self, service: np.ndarray) -> float:
        """Holding cost of the safety stock of service times ``service`` (inf if infeasible)."""
        tau = self.replenishment(service) - service
        bounded = self.max_service >= 0
        if (
            (tau < 0).any()
            or (service < 0).any()
            or (service[bounded] > self.max_service[bounded]).any()
        ):
            return math.inf
        return float(np.sum(self.tau_cost[np.arange(len(tau)), tau]))


def _tree_optimum(problem: _Problem, edges: list[tuple[int, int, int]]) -> tuple[float, np.ndarray]:
    """The exact Graves–Willems dynamic programme on a forest of ``edges``: the least cost
    subject to those edges' constraints only, and service times that attain it."""
    n, h = len(problem.nodes), problem.horizon
    grid = np.arange(h + 1)
    tau = grid[None, :] - grid[:, None]  # [S, R] -> R - S
    clipped = np.clip(tau, 0, h)
    adjacent: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]  # (other, lead, dir)
    for u, v, lead in edges:
        adjacent[u].append((v, lead, +1))  # v is downstream of u
        adjacent[v].append((u, lead, -1))  # u is upstream of v
    f_out: list[np.ndarray | None] = [
        None
    ] * n  # f(S): best subtree cost given S (parent downstream)
    g_in: list[np.ndarray | None] = [None] * n  # g(R): best subtree cost given R (parent upstream)
    arg_r: list[np.ndarray | None] = [None] * n  # for f: the best R per S
    arg_s: list[np.ndarray | None] = [None] * n  # for g: the best S per R
    parent = [-2] * n
    order: list[int] = []
    for root in range(n):  # iterative depth-first order, children before their parent
        if parent[root] != -2:
            continue
        parent[root] = -1
        stack = [root]
        while stack:
            k = stack.pop()
            order.append(k)
            for other, _, _ in adjacent[k]:
                if parent[other] == -2:
                    parent[other] = k
                    stack.append(other)
    inf = math.inf
    roots: dict[int, np.ndarray] = {}  # only roots keep their table: (H + 1)^2 each

    def table(k: int) -> np.ndarray:
        """total[S, R] of stage k and its children's subtrees."""
        total = np.where(tau >= 0, problem.tau_cost[k][clipped], inf)
        total[:, grid < problem.external[k]] = inf
        if problem.max_service[k] >= 0:
            total[grid > problem.max_service[k], :] = inf
        for other, lead, direction in adjacent[k]:
            if other == parent[k]:
                continue
            if direction == -1:  # upstream child: S_other <= R - lead
                best = np.minimum.accumulate(f_out[other])
                shifted = np.full(h + 1, inf)
                shifted[lead:] = best[: h + 1 - lead]
                total = total + shifted[None, :]
            else:  # downstream child: R_other >= S + lead
                best = np.minimum.accumulate(g_in[other][::-1])[::-1]
                shifted = np.full(h + 1, inf)
                shifted[: h + 1 - lead] = best[lead:]
                total = total + shifted[:, None]
        return total

    for k in reversed(order):
        total = table(k)
        p = parent[k]
        if p < 0:  # a root: its whole table picks the root's (S, R)
            roots[k] = total
            continue
        downstream_parent = any(o == p and d == +1 for o, _, d in adjacent[k])
        if downstream_parent:
            arg_r[k] = np.argmin(total, axis=1)
            f_out[k] = total[grid, arg_r[k]]
        else:
            arg_s[k] = np.argmin(total, axis=0)
            g_in[k] = total[arg_s[k], grid]
    service = np.zeros(n, dtype=int)
    chosen_r = np.zeros(n, dtype=int)
    cost = 0.0
    for k in order:  # parents before children
        p = parent[k]
        if p < 0:
            flat = int(np.argmin(roots[k]))
            service[k], chosen_r[k] = divmod(flat, h + 1)
            cost += float(roots[k][service[k], chosen_r[k]])
            continue
        lead, direction = next((ld, d) for o, ld, d in adjacent[p] if o == k)
        if direction == -1:  # k upstream of p: best S_k <= R_p - lead
            limit = chosen_r[p] - lead
            service[k] = int(np.argmin(f_out[k][: limit + 1]))
            chosen_r[k] = arg_r[k][service[k]]
        else:  # k downstream of p: best R_k >= S_p + lead
            start = service[p] + lead
            chosen_r[k] = start + int(np.argmin(g_in[k][start:]))
            service[k] = arg_s[k][chosen_r[k]]
    return cost, service


def _improve(problem: _Problem, service: np.ndarray) -> np.ndarray:
    """Coordinate descent: each stage's service time set to its best value given the others,
    over and over until no stage changes (each step lowers the cost or keeps it)."""
    n = len(problem.nodes)
    into: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, lead in problem.edges:
        into[v].append((u, lead))
        out[u].append((v, lead))
    service = service.copy()
    bounded = problem.max_service
    for _ in range(100):
        changed = False
        reach = problem.replenishment(service)
        for j in range(n):
            top = reach[j] if bounded[j] < 0 else min(reach[j], bounded[j])
            candidates = np.arange(top + 1)
            cost = problem.tau_cost[j][reach[j] - candidates]
            for d, lead in out[j]:
                others = max(
                    [problem.external[d]] + [service[u] + ld for u, ld in into[d] if u != j]
                )
                r_d = np.maximum(others, candidates + lead)
                gap = r_d - service[d]
                cost = cost + np.where(
                    gap >= 0, problem.tau_cost[d][np.clip(gap, 0, problem.horizon)], math.inf
                )
            best = int(np.argmin(cost))
            if cost[best] < cost[service[j]] - 1e-12:
                service[j] = best
                for d, _ in out[j]:
                    reach[d] = max([problem.external[d]] + [service[u] + ld for u, ld in into[d]])
                changed = True
        if not changed:
            break
    return service


def plan_safety_stocks(graph: nx.DiGraph, service_level: float = 0.95) -> GuaranteedServicePlan:
    """Place safety stock by the guaranteed-service model (see the module docstring).

    Args:
        graph: a validated single-product network. Node attributes read: ``holding_cost``
            (money per unit per period), ``demand``, ``max_service_time`` at stages that
            face customers (periods, default 0); edges: ``lead_time``, ``bom``.
        service_level: the probability, in (0, 1), that a stage's demand over its net
            replenishment time stays within its stock (``z`` is its normal quantile).

    Returns:
        The plan: service times, base-stock levels, cost, and a lower bound on the optimum.

    Raises:
        ValueError: ``service_level`` out of range, several products, or a bad declaration.
    """
    z = _z(service_level)
    problem = _Problem(graph, z)
    tree = nx.Graph()
    tree.add_nodes_from(range(len(problem.nodes)))
    for u, v, lead in problem.edges:
        tree.add_edge(u, v, weight=lead, lead=lead)
    kept = nx.maximum_spanning_tree(tree) if tree.number_of_edges() else tree
    directed = {(u, v): lead for u, v, lead in problem.edges}
    tree_edges = [
        (u, v, directed[u, v]) if (u, v) in directed else (v, u, directed[v, u])
        for u, v in kept.edges
    ]
    lower, service = _tree_optimum(problem, tree_edges)
    exact = len(tree_edges) == len(problem.edges)
    if not exact:
        service = _improve(problem, service)
    kept_pairs = {(u, v) for u, v, _ in tree_edges}
    dropped = tuple(
        (problem.nodes[u], problem.nodes[v])
        for u, v, _ in problem.edges
        if (u, v) not in kept_pairs
    )
    reach = problem.replenishment(service)
    stages = {}
    for i, node in enumerate(problem.nodes):
        tau = int(reach[i] - service[i])
        mean, std = float(problem.mean[i]), float(problem.std[i])
        safety = float(problem.safety[i, tau])
        stages[node] = StagePlan(
            service_time=int(service[i]),
            replenishment_time=int(reach[i]),
            net_replenishment_time=tau,
            mean_demand=mean,
            std_demand=std,
            safety_stock=safety,
            base_stock_level=_whole_units(mean * tau + safety),
            cost=float(problem.holding[i]) * safety,
        )
    cost = problem.cost(service)
    return GuaranteedServicePlan(
        stages=stages,
        service_level=service_level,
        cost=cost,
        lower_bound=cost if exact else min(lower, cost),
        exact=exact,
        dropped_edges=dropped,
    )


# ---------------------------------------------------------------------------- starts
def steady_state_start(graph: nx.DiGraph, levels: Mapping[Any, float]) -> nx.DiGraph:
    """A copy of ``graph`` that starts as if base-stock policies with ``levels`` had run long
    enough for their targets to hold, instead of empty (a cold start).

    Every stock point ``j`` in ``levels`` sees its mean demand per period ``m_j``
    (:func:`demand_moments`); each edge it orders on (every input of a manufacturer, else
    its first supplier) gets ``initial_pipeline = m_j * bom`` (one lot arriving in each of
    the periods of the lead time; ``initial_orders`` the same for an information delay), and
    the stock point ``initial_stock = max(level - m_j * P_j, 0)``, with ``P_j`` the periods
    of pipeline it then holds (averaged over a manufacturer's inputs: it counts kits), so
    that its inventory position starts at its level.

    Args:
        graph: a validated single-product network.
        levels: base-stock level by stock point (units); others are left as they are.

    Raises:
        ValueError: a node in ``levels`` is not a stock point of ``graph``, or as
            :func:`demand_moments`.
    """
    moments = demand_moments(graph)
    out = graph.copy()
    for node, level in levels.items():
        if node not in moments:
            raise ValueError(f"levels: node {node!r} is not a stock point of the network")
        mean = moments[node][0]
        ordering = _ordering_edges(out, node)
        periods = 0.0
        for u, bom in ordering:
            data = out.edges[u, node]
            lead = parse_distribution(data["lead_time"], f"edge {u!r}->{node!r} lead_time").mean
            mails = float(data.get("order_lead_time", EDGE_DEFAULTS["order_lead_time"]))
            data["initial_pipeline"] = mean * bom
            if mails > 0:
                data["initial_orders"] = mean * bom
            # the engine sends floor(x + 0.5) lots for a delay of x periods
            periods += math.floor(lead + 0.5) + (math.floor(mails + 0.5) if mails > 0 else 0)
        periods /= len(ordering)
        out.nodes[node]["initial_stock"] = max(float(level) - mean * periods, 0.0)
    return out
