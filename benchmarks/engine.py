"""Engine throughput and memory: stage-periods per second and peak memory.

Run: ``python benchmarks/engine.py`` (about two minutes on 2 cores; ``--quick`` for a smoke
run). Prints one line per case; record the figures in ``benchmarks/README.md``.

Cases:
* the 4-stage serial system under installation base-stock, 100,000 periods, with and
  without the per-period table (event engine); and 10,000 periods with the vectorized one;
* random layered networks (``networks.random_network``, depth 5, fan-in and fan-out 1-3) of
  100 to 30,000 nodes, both engines: time per period should grow no worse than linearly in
  the number of nodes;
* memory of each engine itself (no table) over a short and a much longer run: flat.
"""

from __future__ import annotations

import argparse
import gc
import math
import time
import tracemalloc

import networkx as nx

from agents import BaseStock
from networks import random_network, serial
from sim import ENGINES, SupplyChainModel


def timed(model: SupplyChainModel, periods: int) -> float:
    gc.collect()
    start = time.perf_counter()
    model.run(periods)
    return time.perf_counter() - start


def stocking_nodes(graph: nx.DiGraph) -> int:
    return sum(1 for n in graph if graph.in_degree(n) > 0)


def serial_case(engine: str, periods: int, record: bool) -> str:
    graph = serial(4, lead_time=2, holding_cost=[4, 3, 2, 1], backlog_cost=[20, 0, 0, 0])
    policies = {
        n: BaseStock(level=s)
        for n, s in zip(["stage1", "stage2", "stage3", "stage4"], [13, 9, 9, 8], strict=True)
    }
    model = ENGINES[engine]
    best = min(timed(model(graph, policies, record=record), periods) for _ in range(3))
    rate = 4 * periods / best
    table = "with table" if record else "no table"
    return (
        f"{engine} engine, serial 4 stages, {periods:,} periods, {table}: "
        f"{rate:,.0f} stage-periods/s ({best:.2f} s)"
    )


def network_case(engine: str, nodes: int) -> tuple[str, float]:
    """Microseconds per node-period on a random layered network of ``nodes`` nodes."""
    # Bounded fan-in and fan-out, so edges grow in step with nodes (as in real chains).
    graph = random_network(nodes, depth=5, fan_in=(1, 3), fan_out=(1, 3), seed=1)
    periods = max(20, 200_000 // nodes)
    best = math.inf
    for _ in range(2):
        model = ENGINES[engine](graph, BaseStock(level=20), record=False)
        model.run(10)  # past the first, small blocks of random draws
        best = min(best, timed(model, periods))
    per_node = best / periods / graph.number_of_nodes() * 1e6
    line = (
        f"{engine} engine, random layered network, {graph.number_of_nodes():,} nodes / "
        f"{graph.number_of_edges():,} edges, {periods} periods: "
        f"{best / periods * 1e3:.2f} ms/period, {per_node:.2f} us per node-period"
    )
    return line, per_node


def memory_case(engine: str, short: int, long: int, warmup: int = 0) -> str:
    """Peak memory allocated while running ``short`` and ``long`` periods (after ``warmup``
    untraced ones, which let the blocks of random draws reach full size)."""
    graph = serial(4, lead_time=2)
    policies = BaseStock(level=12)
    peaks = []
    for n in (short, long):
        model = ENGINES[engine](graph, policies, record=False)
        model.run(warmup)
        tracemalloc.start()
        model.run(n)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    after = f" after {warmup:,} warm-up periods" if warmup else ""
    return (
        f"{engine} engine memory (no table), serial{after}: peak {peaks[0] / 1e6:.2f} MB over "
        f"{short:,} periods, {peaks[1] / 1e6:.2f} MB over {long:,}"
    )


def table_memory(periods: int) -> str:
    graph = serial(4, lead_time=2)
    model = SupplyChainModel(graph, BaseStock(level=12))
    tracemalloc.start()
    model.run(periods)
    current = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return f"per-period table, serial: {current / (periods * 4):.0f} bytes per stage-period"


def machine_speed() -> str:
    """How fast this machine runs plain Python, to compare figures taken on other hosts."""
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return f"this machine: a Python loop of 10 million additions takes {best:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    scale = 0.05 if args.quick else 1.0
    print(machine_speed())
    print(serial_case("event", int(100_000 * scale), record=True))
    print(serial_case("event", int(100_000 * scale), record=False))
    print(serial_case("vectorized", int(10_000 * scale), record=False))
    sizes = (100, 1_000, 3_000, 10_000, 30_000) if not args.quick else (100, 1_000)
    for engine in ENGINES:
        per_node = []
        for nodes in sizes:
            line, cost = network_case(engine, nodes)
            per_node.append(cost)
            print(line)
        print(
            f"{engine} engine, time per node-period relative to 100 nodes: "
            + ", ".join(
                f"{n:,}: {c / per_node[0]:.2f}" for n, c in zip(sizes, per_node, strict=True)
            )
        )
    print(memory_case("event", int(10_000 * scale), int(100_000 * scale)))
    # tracemalloc slows numpy's many small allocations about twentyfold: fewer periods
    print(memory_case("vectorized", int(2_000 * scale), int(10_000 * scale), int(3_000 * scale)))
    print(table_memory(int(20_000 * scale)))


if __name__ == "__main__":
    main()
