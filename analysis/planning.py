"""Plan, then simulate: a guaranteed-service plan run in an engine, its fill rates set
against the service level it was planned for.

:func:`networks.plan_safety_stocks` places safety stock assuming every stage keeps its
promised service time; the engine has no such promise (a stage ships what it can, when it
can), so the fill rate a plan reaches is an empirical question. :func:`simulate_plan` answers
it for the stages that face customers, with every stock point on its planned base-stock
level (:class:`agents.BaseStock` with ``levels``) and, by default, a steady-state start, so
that no warm-up transient is counted.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["PlanRun", "on_time_fill_rate", "read_network", "simulate_plan"]


@dataclass(frozen=True)
class PlanRun:
    """A plan simulated once.

    Attributes:
        service: one row per stage that faces customers and a last row ``network``: the
            ``target`` service level, the ``service_time`` promised to customers, the
            ``on_time_fill_rate`` (share of demand shipped within that service time, the
            guaranteed-service model's promise), and the ``fill_rate`` and
            ``cycle_service_level`` of :func:`analysis.report.summarize` (demand met in the
            period it arrived), all after warm-up.
        periods: the per-period table of the customer-facing stages.
        seconds: wall time of the simulation (engine build and run, s).
    """

    service: pd.DataFrame
    periods: pd.DataFrame
    seconds: float


def read_network(path: str | Path, **options: Any) -> nx.DiGraph:
    """A network from a file: a Willems (2008) chain (a folder, an ``.xlsx`` workbook or a
    ``<name>_SD.csv`` stage table, with ``options`` those of :func:`networks.read_willems`)
    or a GraphML, node-link JSON or CSV edge-list file (no options)."""
    import networks
    from scenarios.scenario import did_you_mean

    path = Path(path)
    readers = {".graphml": networks.read_graphml, ".json": networks.read_json}
    willems = (
        path.is_dir()
        or path.suffix.lower() in (".xlsx", ".xlsm")
        or path.name.lower().endswith("_sd.csv")
    )
    if willems:
        accepted = [
            p.name
            for p in inspect.signature(networks.read_willems).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        for key in options:
            if key not in accepted:
                raise ValueError(
                    f"{key}: not an option of networks.read_willems{did_you_mean(key, accepted)}"
                )
        return networks.read_willems(path, **options)
    reader = readers.get(path.suffix.lower(), networks.read_csv if path.suffix == ".csv" else None)
    if reader is None:
        raise ValueError(
            f"{path}: cannot tell the format; give a Willems folder, workbook or <name>_SD.csv, "
            "or a .graphml, .json or .csv network"
        )
    if options:
        raise ValueError(f"{', '.join(options)}: options of read_willems only; {path} is not one")
    return reader(path)


def on_time_fill_rate(rows: pd.DataFrame, service_time: int) -> tuple[float, float]:
    """Units of demand and units shipped later than ``service_time`` periods after they
    arrived, at one stock point (its per-period rows, in period order, FIFO service).

    Demand of period ``t`` is late by the close of ``t + S`` by what is still owed then
    beyond the demand that arrived after it: ``min(d_t, (b_{t+S} - sum_{k=t+1}^{t+S} d_k)^+)``;
    for ``S = 0`` that is ``min(d_t, b_t)``, the same-period measure. Periods whose ``t + S``
    lies past the end are left out.
    """
    demand = rows["demand"].to_numpy(dtype=float)
    backlog = rows["backlog"].to_numpy(dtype=float)
    n = len(demand) - service_time
    if n <= 0:
        return 0.0, 0.0
    cumulative = np.concatenate(([0.0], np.cumsum(demand)))
    t = np.arange(n)
    after = cumulative[t + service_time + 1] - cumulative[t + 1]  # demand of t+1 .. t+S
    late = np.minimum(demand[:n], np.maximum(backlog[service_time:] - after, 0.0))
    return float(demand[:n].sum()), float(late.sum())


def simulate_plan(
    graph: nx.DiGraph,
    levels: dict[Any, float],
    target: float,
    *,
    service_times: dict[Any, int] | None = None,
    periods: int = 500,
    warmup: int = 100,
    seed: int = 0,
    engine: str = "vectorized",
    start: str = "steady",
) -> PlanRun:
    """Simulate ``graph`` with base-stock ``levels`` and report the service reached.

    Args:
        graph: the network.
        levels: base-stock level by stock point (e.g. ``plan.base_stock_levels``).
        target: the service level planned for, reported beside what was reached.
        service_times: the service time promised to customers by node (default 0).
        periods: periods simulated, warm-up included.
        warmup: periods left out of the figures.
        seed: the run's seed.
        engine: a name of :data:`sim.ENGINES`.
        start: ``"steady"`` (:func:`networks.steady_state_start`) or ``"cold"``.
    """
    from agents import BaseStock
    from networks import steady_state_start
    from sim import ENGINES

    from .report import summarize

    if start not in ("steady", "cold"):
        raise ValueError(f"start: must be 'steady' or 'cold', got {start!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
    if not 0 <= warmup < periods:
        raise ValueError(f"warmup: must be >= 0 and below periods ({periods}), got {warmup}")
    began = time.perf_counter()
    run_graph = steady_state_start(graph, levels) if start == "steady" else graph
    model = ENGINES[engine](run_graph, BaseStock(levels=levels), seed=seed)
    model.run(periods)
    table = model.results()
    seconds = time.perf_counter() - began
    facing = {str(n) for n in graph if graph.out_degree(n) == 0 and graph.in_degree(n) > 0}
    rows = table[table["node"].astype(str).isin(facing)]
    kpis = summarize(rows, warmup=warmup)[["fill_rate", "cycle_service_level"]]
    promised = {str(k): int(v) for k, v in (service_times or {}).items()}
    kpis.insert(0, "target", target)
    kpis.insert(1, "service_time", [promised.get(n, 0) for n in kpis.index[:-1]] + [np.nan])
    totals = np.zeros(2)
    on_time = []
    after_warmup = rows[rows["period"] >= warmup]
    for node in kpis.index[:-1]:
        mine = after_warmup[after_warmup["node"].astype(str) == node].sort_values("period")
        demand, late = on_time_fill_rate(mine, promised.get(node, 0))
        on_time.append(1 - late / demand if demand > 0 else np.nan)
        totals += (demand, late)
    on_time.append(1 - totals[1] / totals[0] if totals[0] > 0 else np.nan)
    kpis.insert(2, "on_time_fill_rate", on_time)
    return PlanRun(service=kpis, periods=rows, seconds=seconds)
