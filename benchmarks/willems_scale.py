"""Plan and simulate a chain of the size and fan-in of the largest Willems (2008) chain.

Run: ``python benchmarks/willems_scale.py`` (``--quick`` for a smoke run, ``--no-event`` to
skip the event engine's minutes). Prints one line per figure; record them in
``benchmarks/README.md``.

The real chain 38 has 2,845 stages and 17,045 links, every link a bill-of-materials input
(about six inputs per supplied stage). The data set is not shipped, so
:func:`willems_scale_chain` draws a chain of that size and fan-in (seeded): 1,600 parts,
600 subassemblies (12 parts each), 300 assemblies (20 subassemblies each), 145
distribution stages (20 assemblies each) and 200 retail stages (5 distribution stages
each): 2,845 stock points, 17,045 links between them plus one source per part (and a
few more links so that every stage supplies someone: 17,125 with seed 0). Every
stage with several inputs is an assembly (``manufacturer``), as ``read_willems`` reads
them; demand is negative binomial with mean 10 and std 5, lead times 1 to 5 periods.

Figures: time to plan (:func:`networks.plan_safety_stocks`, the chain is not a tree), time
to simulate 500 periods on both engines with the plan's base-stock levels (most stages
then hold no stock and owe their customers for their service time: long queues), the
vectorized engine with every stage stocked for 0.95 (:func:`networks.base_stock_levels`),
and the vectorized engine's cost per stock point and period on the chain against
``random_network`` of the same size (issue 12 asks for at most 2x). That last figure is
measured in one process with the models taking turns, a window of periods each, and
counts this process's CPU time, so that other jobs on the machine weigh on all alike:
each model's best (and median) window, and its ratio to ``random_network``'s.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import networkx as nx
import numpy as np

from agents import BaseStock
from networks import (
    base_stock_levels,
    plan_safety_stocks,
    random_network,
    set_echelons,
    steady_state_start,
    validate,
)
from sim import ENGINES, SupplyChainModel

#: (name, stages, inputs per stage from the layer above), top layer first.
LAYERS: tuple[tuple[str, int, int], ...] = (
    ("part", 1600, 0),
    ("sub", 600, 12),
    ("assembly", 300, 20),
    ("dist", 145, 20),
    ("retail", 200, 5),
)


def willems_scale_chain(seed: int = 0, scale: float = 1.0) -> nx.DiGraph:
    """A seeded chain of the size and fan-in of Willems chain 38 (see the module docstring);
    ``scale`` shrinks every layer (not the fan-in) for smoke runs."""
    rng = np.random.default_rng(seed)
    graph = nx.DiGraph(products=["item"], name="willems-scale")
    upper: list[str] = []
    for name, width, fan_in in LAYERS:
        width = max(1, round(width * scale))
        layer = [f"{name}{i}" for i in range(width)]
        leads = {}
        for node in layer:
            lead = leads[node] = int(rng.integers(1, 6))
            graph.add_node(node, role="manufacturer" if fan_in > 1 else "supplier")
            graph.nodes[node]["holding_cost"] = float(rng.uniform(0.1, 1.0))
            if not upper:  # a part: its own unlimited source
                graph.add_node(f"source:{node}", role="supplier")
                graph.add_edge(f"source:{node}", node, lead_time=lead)
                continue
            k = min(fan_in, len(upper))
            for u in rng.choice(len(upper), size=k, replace=False):
                graph.add_edge(upper[u], node, lead_time=lead)
        # no dead ends: every stage of the layer above supplies someone
        for u in upper:
            if graph.out_degree(u) == 0:
                node = layer[int(rng.integers(len(layer)))]
                graph.add_edge(u, node, lead_time=leads[node])
        upper = layer
    for node in upper:
        graph.nodes[node].update(
            role="manufacturer" if graph.in_degree(node) > 1 else "retailer",
            demand={"dist": "negative_binomial", "mean": 10, "std": 5},
            backlog_cost=9.0,
        )
    set_echelons(graph)
    validate(graph)
    return graph


def stock_points(graph: nx.DiGraph) -> int:
    return sum(1 for n in graph if graph.in_degree(n) > 0)


def simulate(
    engine: str, graph: nx.DiGraph, levels: dict, periods: int, repeats: int
) -> tuple[float, float]:
    """Seconds to build the model and to run ``periods`` periods without the table (each
    the best of ``repeats``)."""
    build = run = float("inf")
    for _ in range(repeats):
        gc.collect()
        began = time.perf_counter()
        model = ENGINES[engine](graph, BaseStock(levels=levels), record=False, seed=0)
        built = time.perf_counter()
        model.run(periods)
        build, run = min(build, built - began), min(run, time.perf_counter() - built)
    return build, run


def per_node_period(
    models: dict[str, tuple[SupplyChainModel, int]], periods: int, window: int
) -> dict[str, tuple[float, float]]:
    """Microseconds of CPU time per stock point and period of each model (with its number
    of stock points), in its best and its median window of ``window`` periods, the models
    taking turns until each has run ``periods``."""
    seconds: dict[str, list[float]] = {label: [] for label in models}
    gc.collect()
    for _ in range(max(1, periods // window)):
        for label, (model, _) in models.items():
            began = time.process_time()
            model.run(window)
            seconds[label].append(time.process_time() - began)
    return {
        label: (
            min(seconds[label]) / window / n * 1e6,
            statistics.median(seconds[label]) / window / n * 1e6,
        )
        for label, (_, n) in models.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--periods", type=int, default=500)
    parser.add_argument("--window", type=int, default=25, help="periods per turn (ratios)")
    parser.add_argument("--no-event", action="store_true", help="skip the event engine")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    graph = willems_scale_chain(seed=0, scale=scale)
    n = stock_points(graph)
    links = sum(1 for u, _ in graph.edges if graph.in_degree(u) > 0)
    print(f"synthetic chain: {n:,} stock points, {links:,} links between them")
    began = time.perf_counter()
    plan = plan_safety_stocks(graph, 0.95)
    seconds = time.perf_counter() - began
    print(
        f"plan (guaranteed service, 0.95): {seconds:.2f} s; cost {plan.cost:,.1f}, lower bound "
        f"{plan.lower_bound:,.1f} ({len(plan.dropped_edges):,} links relaxed)"
    )
    started = steady_state_start(graph, plan.base_stock_levels)
    single = base_stock_levels(graph, 0.95)  # every stage stocks to ship at once
    everywhere = steady_state_start(graph, single)
    cases = [
        ("vectorized", "the plan", started, plan.base_stock_levels, 2),
        ("vectorized", "0.95 everywhere", everywhere, single, 2),
        ("event", "the plan", started, plan.base_stock_levels, 1),  # takes minutes
    ]
    for engine, label, network, levels, repeats in cases[: 2 if args.no_event else 3]:
        build, run = simulate(engine, network, levels, args.periods, repeats)
        print(
            f"{engine} engine, base-stock levels of {label}: build {build:.2f} s, "
            f"{args.periods} periods {run:.2f} s, {run / args.periods / n * 1e6:.2f} us per "
            "stock point and period"
        )
    random = random_network(n, depth=5, fan_in=(1, 3), fan_out=(1, 3), seed=1)
    models = {
        label: (
            ENGINES["vectorized"](network, BaseStock(levels=levels), record=False, seed=0),
            stock_points(network),
        )
        for label, network, levels in (
            ("the plan", started, plan.base_stock_levels),
            ("0.95 everywhere", everywhere, single),
            ("random_network", random, {v: 20.0 for v in random if random.in_degree(v) > 0}),
        )
    }
    for model, _ in models.values():
        model.run(10)  # past the first, small blocks of random draws
    cost = per_node_period(models, args.periods, args.window)
    best, median = cost.pop("random_network")
    print(
        f"vectorized engine, CPU us per stock point and period, best (median) of "
        f"{args.window}-period windows, models in turn: random_network of "
        f"{models['random_network'][1]:,} nodes, level 20: {best:.2f} ({median:.2f})"
    )
    for label, (us, middle) in cost.items():
        print(
            f"  the chain, {label}: {us:.2f} ({middle:.2f}): {us / best:.2f}x "
            f"({middle / median:.2f}x) random_network's"
        )


if __name__ == "__main__":
    main()
