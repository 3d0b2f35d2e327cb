"""A control for the scaling figures: the least a per-node Python loop can do.

Run: ``python benchmarks/python_baseline.py`` (about half a minute).

It steps the same random layered networks as ``engine.py`` with a bare, hand-written
periodic base-stock loop — lists of floats, FIFO queues of ``[customer, quantity]``, a ring
of shipments, no engine, no policies, no records — and prints microseconds per
node-period. Its cost per node grows with the network as the event engine's does: a node's
suppliers and customers sit anywhere in memory, and once the state outgrows the caches
every order and shipment waits for memory. That growth is the hardware's, not an
algorithm's; only whole-array steps (``VectorizedSupplyChainModel``) avoid it.
"""

from __future__ import annotations

import gc
import random
import time

import networkx as nx

from networks import random_network

LEAD_TIME = 2
LEVEL = 20.0


def microseconds_per_node_period(graph: nx.DiGraph, periods: int) -> float:
    order = [n for n in reversed(list(nx.topological_sort(graph))) if graph.in_degree(n)]
    index = {n: k for k, n in enumerate(order)}
    supplier = [index.get(next(iter(graph.predecessors(n))), -1) for n in order]
    retailer = [graph.out_degree(n) == 0 for n in order]
    rng = random.Random(1)
    on_hand, backlog, pipeline = [LEVEL] * len(order), [0.0] * len(order), [0.0] * len(order)
    owed: list[list[list]] = [[] for _ in order]
    ring: list[list[tuple[int, float]]] = [[] for _ in range(LEAD_TIME + 1)]
    gc.disable()
    start = time.perf_counter()
    for t in range(periods):
        for j, x in ring[t % (LEAD_TIME + 1)]:
            on_hand[j] += x
            pipeline[j] -= x
        ring[t % (LEAD_TIME + 1)] = []
        arriving = ring[(t + LEAD_TIME) % (LEAD_TIME + 1)]
        for i in range(len(order)):
            if retailer[i]:
                d = float(rng.randint(0, 8))
                owed[i].append([-1, d])
                backlog[i] += d
            queue, stock = owed[i], on_hand[i]
            while queue and stock > 0:
                entry = queue[0]
                x = entry[1] if entry[1] <= stock else stock
                stock -= x
                entry[1] -= x
                backlog[i] -= x
                if entry[0] >= 0:
                    arriving.append((entry[0], x))
                if entry[1] <= 0:
                    queue.pop(0)
            on_hand[i] = stock
            q = LEVEL - (stock + pipeline[i] - backlog[i])
            if q > 0:
                pipeline[i] += q
                if supplier[i] < 0:
                    arriving.append((i, q))
                else:
                    owed[supplier[i]].append([i, q])
                    backlog[supplier[i]] += q
    elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed / periods / len(order) * 1e6


def main() -> None:
    first = None
    for nodes in (100, 1_000, 10_000):
        graph = random_network(nodes, depth=5, fan_in=(1, 3), fan_out=(1, 3), seed=1)
        periods = max(20, 200_000 // nodes)
        cost = min(microseconds_per_node_period(graph, periods) for _ in range(3))
        first = first or cost
        print(
            f"hand-written loop, {graph.number_of_nodes():,} nodes: {cost:.2f} us per "
            f"node-period ({cost / first:.2f} x the 100-node cost)"
        )


if __name__ == "__main__":
    main()
