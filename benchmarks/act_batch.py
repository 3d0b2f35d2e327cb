"""``act_batch`` against ``act`` in the vectorized engine, on many copies of one problem.

Run: ``python benchmarks/act_batch.py`` (``--quick`` for a smoke run). For each heuristic the
same model is run with the module as it is (an echelon decides in one ``act_batch`` call) and
with a wrapper that offers only ``act`` (one call per stock point), alternately in one
process, fastest of ``--repeats``; both give the same table (checked). Prints the ratio.

Cases (each a many-copy problem the vectorized engine is for):
* ``dual_index``, ``capped_dual_index``, ``tailored_base_surge``: ``--copies`` dual-sourcing
  shops on their own (as in ``scenarios/library/dual_sourcing.toml``; the two sources have
  unlimited stock, so the shops are independent copies);
* ``sterman``: the beer game (``beer_game``) on the copy axis, four Sterman players a copy;
* ``myopic``: Zipkin's lost-sales shop (Poisson(5), h = 1, p = 9, L = 2), myopic-1, on the
  copy axis.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any

import networkx as nx
import pandas as pd

from agents import CappedDualIndex, DualIndex, Myopic, TailoredBaseSurge
from networks import serial
from scenarios import resolve
from sim import VectorizedSupplyChainModel


class OneByOne:
    """``module`` without ``act_batch``: the engine asks it one stock point at a time."""

    def __init__(self, module: Any):
        self.module = module
        self.observes = getattr(module, "observes", frozenset())

    def act(self, obs):
        return self.module.act(obs)


class Spawned:
    """A stateful ``module`` spawned per stock point (no ``spawn_batch``)."""

    def __init__(self, module: Any):
        self.module = module

    def spawn(self):
        return self.module.spawn()

    def act(self, obs):
        raise TypeError("spawn() first")


def shops(n: int) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("regular", role="supplier")
    g.add_node("express", role="supplier")
    for k in range(n):
        g.add_node(
            f"shop{k}",
            role="retailer",
            holding_cost=1,
            backlog_cost=19,
            demand={"dist": "poisson", "mean": 5},
        )
        g.add_edge("regular", f"shop{k}", lead_time=4, unit_cost=1.0)
        g.add_edge("express", f"shop{k}", lead_time=1, unit_cost=1.5)
    return g


def cases(copies: int) -> dict[str, tuple]:
    """name -> (graph, batched policies, one-at-a-time policies, model options)."""
    suppliers = {"regular_supplier": "regular", "expedited_supplier": "express"}
    dual = {
        "dual_index": DualIndex(
            regular_level=28, expedited_level=8, expedited_lead_time=1, **suppliers
        ),
        "capped_dual_index": CappedDualIndex(
            regular_level=28, expedited_level=8, cap=6, expedited_lead_time=1, **suppliers
        ),
        "tailored_base_surge": TailoredBaseSurge(
            regular_quantity=4, expedited_level=9, expedited_lead_time=1, **suppliers
        ),
    }
    out: dict[str, tuple] = {}
    for name, module in dual.items():
        out[name] = (shops(copies), module, OneByOne(module), {"decide": "start"})
    beer = resolve("beer_game")
    graph = beer.network()
    policies = beer.policies(graph)
    seeds = {"copies": list(range(copies)), "decide": beer.options["decide"]}
    out["sterman"] = (graph, policies, {n: Spawned(m) for n, m in policies.items()}, seeds)
    lost = serial(
        1,
        lead_time=2,
        holding_cost=1,
        lost_sales_cost=9,
        shortage="lost_sales",
        demand={"dist": "poisson", "mean": 5},
    )
    myopic = Myopic(
        demand={"dist": "poisson", "mean": 5}, holding_cost=1, lost_sales_cost=9, lead_time=2
    )
    seeds = {"copies": list(range(copies)), "decide": "start"}
    out["myopic"] = (lost, myopic, OneByOne(myopic), seeds)
    return out


def timed(graph, policies, periods: int, options: dict) -> tuple[float, pd.DataFrame]:
    model = VectorizedSupplyChainModel(graph, policies, seed=1, **options)
    gc.collect()
    start = time.perf_counter()
    model.run(periods)
    return time.perf_counter() - start, model.results()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1000)
    parser.add_argument("--periods", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.copies, args.periods, args.repeats = 20, 10, 1
    for name, (graph, batched, single, options) in cases(args.copies).items():
        best = {"act_batch": float("inf"), "act": float("inf")}
        tables = {}
        for _ in range(args.repeats):  # alternately, so that both see the same machine load
            for label, policies in (("act_batch", batched), ("act", single)):
                seconds, tables[label] = timed(graph, policies, args.periods, options)
                best[label] = min(best[label], seconds)
        pd.testing.assert_frame_equal(tables["act_batch"], tables["act"], check_exact=True)
        print(
            f"{name}: {args.copies} copies x {args.periods} periods: act_batch "
            f"{best['act_batch']:.3f} s, act {best['act']:.3f} s, "
            f"{best['act'] / best['act_batch']:.1f}x faster",
            flush=True,
        )


if __name__ == "__main__":
    main()
