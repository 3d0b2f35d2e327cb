"""Random supply networks of a given size, depth and connectivity, for tests and benchmarks.

:func:`random_network` draws a layered network that looks like a real distribution/production
chain (see its docstring for what "realistic" means here), deterministic for a seed: all
randomness comes from one ``numpy.random.Generator`` built from ``seed``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np

from .builders import (
    _DEFAULT_DEMAND,
    _count,
    _layered_network,
)

__all__ = ["random_network"]


# ---------------------------------------------------------------------------- arguments
def _range(name: str, value: Any) -> tuple[int, int]:
    if (
        isinstance(value, str)
        or not isinstance(value, list | tuple)
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in value)
        or not 1 <= value[0] <= value[1]
    ):
        raise ValueError(
            f"{name}: expected a pair of integers (low, high) with 1 <= low <= high, got {value!r}"
        )
    return int(value[0]), int(value[1])


class _Bounds:
    """Degree bounds between an upper layer of ``u`` nodes and the lower layer of ``l``."""

    def __init__(self, u: int, l: int, fan_in: tuple[int, int], fan_out: tuple[int, int]):  # noqa: E741
        self.in_lo, self.in_hi = min(fan_in[0], u), min(fan_in[1], u)
        self.out_lo, self.out_hi = min(fan_out[0], l), min(fan_out[1], l)
        # the number of edges must satisfy both sides' bounds
        self.e_lo = max(l * self.in_lo, u * self.out_lo)
        self.e_hi = min(l * self.in_hi, u * self.out_hi)

    @property
    def feasible(self) -> bool:
        return self.e_lo <= self.e_hi


def _feasible(u: int, l: int, fan_in: tuple[int, int], fan_out: tuple[int, int]) -> bool:  # noqa: E741
    return _Bounds(u, l, fan_in, fan_out).feasible


# ---------------------------------------------------------------------------- layer widths
def _widths(
    n: int,
    depth: int,
    fan_in: tuple[int, int],
    fan_out: tuple[int, int],
    rng: np.random.Generator,
) -> list[int]:
    """Layer widths, retailers first, summing to ``n``, not narrowing toward the retailers,
    with every adjacent pair able to meet the fan-in and fan-out bounds when possible."""
    if depth == 1:
        return [n]
    # widening ratio lower/upper that keeps both sides' bounds satisfiable
    r_hi = max(1.0, fan_out[1] / fan_in[0])
    r_lo = min(max(1.0, fan_out[0] / fan_in[1]), r_hi)
    # the largest common ratio whose geometric layers fit n with one node on top
    g_max = r_hi
    while g_max > 1.0 and sum(g_max**k for k in range(depth)) > n:
        g_max = max(1.0, g_max * 0.95)
    g_min = min(max(r_lo, 1.0 + 0.25 * (g_max - 1.0)), g_max)
    g = rng.uniform(g_min, g_max)
    ratios = np.clip(g * rng.uniform(0.85, 1.15, depth - 1), r_lo, max(r_lo, g_max))

    def chain(top: int) -> list[int]:
        out = [top]
        for r in ratios:  # top down
            upper = out[-1]
            lower = max(upper, round(upper * r))
            while lower > upper and not _feasible(upper, lower, fan_in, fan_out):
                lower -= 1
            out.append(lower)
        return out[::-1]

    top = max(1, int(n / sum(np.cumprod([1.0, *ratios]))))
    widths = chain(top)
    while sum(widths) > n and top > 1:
        top -= 1
        widths = chain(top)
    if sum(widths) > n:  # too small for any widening: one node per layer, rest at the bottom
        widths = [1] * depth
    # hand out the remaining nodes one by one, retailers first, keeping the bounds
    remaining = n - sum(widths)
    while remaining:
        for k in range(depth):
            trial = widths.copy()
            trial[k] += 1
            upper_ok = k == depth - 1 or _feasible(trial[k + 1], trial[k], fan_in, fan_out)
            lower_ok = k == 0 or (
                trial[k] <= trial[k - 1] and _feasible(trial[k], trial[k - 1], fan_in, fan_out)
            )
            if upper_ok and lower_ok:
                widths = trial
                break
        else:  # no place keeps every bound: widen the retailers anyway
            widths[0] += 1
        remaining -= 1
    return widths


# ---------------------------------------------------------------------------- edges
def _link_layers(
    u: int,
    l: int,  # noqa: E741
    fan_in: tuple[int, int],
    fan_out: tuple[int, int],
    rng: np.random.Generator,
) -> list[tuple[int, int]]:
    """Edges ``(i, j)`` from upper node ``i`` to lower node ``j`` with in-degrees in the
    fan-in range and out-degrees in the fan-out range (relaxing the fan-out bounds only when
    no such graph exists)."""
    b = _Bounds(u, l, fan_in, fan_out)
    if not b.feasible:  # fan-in is kept; the fan-out bounds give way
        b.out_lo = min(b.out_lo, b.in_hi * l // u)
        b.out_hi = max(b.out_hi, -(-b.in_lo * l // u))
        b.e_lo, b.e_hi = max(l * b.in_lo, u * b.out_lo), min(l * b.in_hi, u * b.out_hi)
    # suppliers per lower node, then nudged so that the total is within [e_lo, e_hi]
    ins = rng.integers(b.in_lo, b.in_hi + 1, size=l)
    total = int(ins.sum())
    target = min(max(total, b.e_lo), b.e_hi)
    while total != target:
        step = 1 if target > total else -1
        room = np.flatnonzero(ins < b.in_hi) if step > 0 else np.flatnonzero(ins > b.in_lo)
        take = rng.choice(room, size=min(len(room), abs(target - total)), replace=False)
        ins[take] += step
        total += step * len(take)
    # customers per upper node: out_lo each, the rest spread at random up to out_hi
    outs = np.full(u, b.out_lo, dtype=np.int64)
    extra = total - int(outs.sum())
    while extra > 0:
        room = np.flatnonzero(outs < b.out_hi)
        picks = rng.choice(room, size=min(extra, len(room)), replace=False)
        outs[picks] += 1
        extra -= len(picks)
    # realise the two degree sequences: each lower node (in random order) takes the upper
    # nodes with the most customers still to serve (ties broken at random): this succeeds
    # whenever a simple bipartite graph with these degrees exists (Gale–Ryser)
    tie = rng.permutation(u)
    heap = [(-int(d), int(tie[i]), i) for i, d in enumerate(outs) if d > 0]
    heapq.heapify(heap)
    edges: list[tuple[int, int]] = []
    for j in rng.permutation(l).tolist():
        need = int(ins[j])
        taken = [heapq.heappop(heap) for _ in range(min(need, len(heap)))]
        chosen = {i for _, _, i in taken}
        for d, t, i in taken:
            edges.append((i, j))
            if d + 1 < 0:
                heapq.heappush(heap, (d + 1, t, i))
        if len(chosen) < need:  # not graphical: exceed the fan-out bound of random suppliers
            others = rng.permutation(u).tolist()
            for i in others:
                if len(chosen) == need:
                    break
                if i not in chosen:
                    chosen.add(i)
                    edges.append((i, j))
    return edges


# ---------------------------------------------------------------------------- the generator
def random_network(
    n_nodes: int,
    *,
    depth: int,
    fan_in: tuple[int, int] = (1, 3),
    fan_out: tuple[int, int] = (1, 3),
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
    """A random, realistic layered supply network, deterministic for ``seed``.

    "Realistic" means the shape of real multi-echelon chains (Willems 2008 data set;
    retail and consumer-goods distribution networks):

    * **layers widen toward the customers**: few plants, more distribution centres, many
      stores. Layer widths sum to ``n_nodes`` and never shrink from the top layer down to
      the retailers; adjacent layers grow by a common random ratio (jittered ±15% per layer)
      no larger than ``fan_out[1] / fan_in[0]``, the most that the connectivity bounds
      allow;
    * **bounded multi-sourcing**: every node below the top layer buys from between
      ``fan_in[0]`` and ``fan_in[1]`` suppliers in the layer directly above (capped by that
      layer's width), drawn uniformly;
    * **bounded service span**: every node above the retailers serves at least
      ``max(fan_out[0], 1)`` and at most ``fan_out[1]`` customers in the layer below (capped
      by that layer's width). Only when the two layers' widths make both bounds impossible
      at once does the fan-out bound give way (fan-in is always met);
    * **no dead ends**: every node lies on a path from an external source to a retailer; the
      top layer (manufacturers) each have their own external source ``source<i>`` with
      unlimited stock, one above the top layer;
    * demand only at the retailers, goods flowing strictly one layer down (no layer-skipping
      shipments, no cycles).

    Nodes are named as in :func:`networks.layered`: ``retailer<i>`` (layer 0),
    ``warehouse<k>_<i>`` (layer ``k``), ``manufacturer<i>`` (top layer; with ``depth=1`` the
    retailers are the top layer). Per-stage options take one value or a list of ``n_nodes``
    values, layer by layer from the retailers up, in name order within a layer; ``demand``
    takes one declaration or a list with one per retailer — the number of retailers is drawn,
    so give a list only when you know it (e.g. from a previous call with the same seed).

    Args:
        n_nodes: number of stocking nodes (>= ``depth``); the sources come on top.
        depth: number of stocking layers (>= 1), retailers included.
        fan_in: ``(low, high)`` suppliers per node below the top layer (1 <= low <= high).
        fan_out: ``(low, high)`` customers per node above the retailers (1 <= low <= high).
        seed: seed of the one ``numpy.random.default_rng`` behind every draw (>= 0).
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
        The validated network, with ``echelon`` set (layer ``k`` is echelon ``k``).

    Raises:
        ValueError: an argument is invalid (the message names it).
    """
    depth = _count("depth", depth)
    n = _count("n_nodes", n_nodes)
    if n < depth:
        raise ValueError(f"n_nodes: must be >= depth ({depth}) for one node per layer, got {n}")
    fan_in, fan_out = _range("fan_in", fan_in), _range("fan_out", fan_out)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))

    widths = _widths(n, depth, fan_in, fan_out, rng)

    def bounded_links(n_upper: int, n_lower: int) -> list[tuple[int, int]]:
        pairs = _link_layers(n_upper, n_lower, fan_in, fan_out, rng)
        return sorted(pairs, key=lambda e: (e[1], e[0]))  # each node's suppliers in name order

    return _layered_network(
        widths,
        bounded_links,
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
