"""Fair baselines for learners: exact optima and tuned heuristics on common random numbers.

Run: ``PYTHONPATH=. python benchmarks/baselines.py [--workers 2] [--out benchmarks/results]``.

Two benchmark problems of Gijsbrechts, Boute, Van Mieghem & Zhang (2022), MSOM 24(3):

* lost sales (Zipkin 2008): Poisson(5), h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4};
  optimum by value iteration, tuned base-stock, capped base-stock and constant order,
  myopic-1 and myopic-2 (whose parameters are the model's own);
* dual sourcing: uniform demand on 0..4, h = 5, b = 495, c_r = 100, c_e in {105, 110},
  expedited lead time 0, regular L in {2, 3, 4}; optimum by value iteration, tuned single
  index, dual index, capped dual index and tailored base-surge.

Heuristics are tuned (:func:`analysis.tune.tune`) on the tuning seed; then every policy,
the optimal policy table included, is evaluated on the *same* evaluation seeds (another
seed, so the tuned costs carry no selection bias). For each policy the table gives its
cost per period with a 95% CI, the gap to the exact optimum in %, and the paired
difference against the simulated optimal table (same random numbers) with its 95% CI.

A learner joins the table through ``extra``: a mapping label -> factory, where the factory
gets the :class:`Case` and returns a decision module (or ``None`` to skip the case); it is
evaluated on the same seeds as everything else (``run(cases(), extra={"PPO": make})``).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from agents import Myopic
from analysis.exact import (
    Optimum,
    dual_sourcing_optimum,
    dual_sourcing_scenario,
    lost_sales_optimum,
    lost_sales_scenario,
)
from analysis.files import write_text
from analysis.statistics import mean_ci
from analysis.tune import evaluate, tune

LOST_SALES_TUNED = {
    "base-stock": "base_stock",
    "capped base-stock": "capped_base_stock",
    "constant order": "constant_order",
}
DUAL_TUNED = {
    "single index": "single_index",
    "dual index": "dual_index",
    "capped dual index": "capped_dual_index",
    "tailored base-surge": "tailored_base_surge",
}


@dataclass(frozen=True)
class Settings:
    """Simulation settings (periods include the warm-up)."""

    tune_replications: int = 3
    tune_periods: int = 1200
    replications: int = 4
    periods: int = 3200
    warmup: int = 200
    tune_seed: int = 1
    seed: int = 2
    max_evaluations: int = 80


@dataclass(frozen=True)
class Case:
    """One instance: ``problem`` is ``"lost_sales"`` or ``"dual_sourcing"``; ``values``
    its parameters (``p, L`` or ``L, c_e``)."""

    problem: str
    values: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items())

    @property
    def node(self) -> str:
        return "stage1" if self.problem == "lost_sales" else "shop"

    def scenario(self) -> Any:
        if self.problem == "lost_sales":
            return lost_sales_scenario(lost_sales_cost=self.values["p"], lead_time=self.values["L"])
        return dual_sourcing_scenario(lead_time=self.values["L"], expedited_cost=self.values["c_e"])

    def optimum(self) -> Optimum:
        if self.problem == "lost_sales":
            return lost_sales_optimum(lost_sales_cost=self.values["p"], lead_time=self.values["L"])
        return dual_sourcing_optimum(lead_time=self.values["L"], expedited_cost=self.values["c_e"])


def cases() -> list[Case]:
    """The 16 lost-sales and 6 dual-sourcing instances."""
    out = [Case("lost_sales", {"p": p, "L": lead}) for lead in (1, 2, 3, 4) for p in (4, 9, 19, 39)]
    out += [
        Case("dual_sourcing", {"L": lead, "c_e": ce}) for lead in (2, 3, 4) for ce in (105, 110)
    ]
    return out


class _Memo:
    """A deterministic decision module with its decisions cached by state (myopic-2 costs
    milliseconds a call; a run revisits a few thousand states)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.observes = getattr(inner, "observes", frozenset())
        self.cache: dict[tuple, Any] = {}

    def act(self, obs: Any) -> Any:
        key = (obs.on_hand, obs.backlog, obs.pipeline, obs.arrivals)
        if key not in self.cache:
            self.cache[key] = self.inner.act(obs)
        return self.cache[key]


def run_case(
    case: Case,
    settings: Settings = Settings(),
    extra: Mapping[str, Callable[[Case], Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every policy of ``case`` evaluated on the same seeds: one row per policy."""
    scenario = case.scenario()
    started = time.perf_counter()
    optimum = case.optimum()
    solve_seconds = time.perf_counter() - started
    policies: dict[str, tuple[Any, str]] = {"optimum (VI table)": (optimum.policy, "")}
    tuned = LOST_SALES_TUNED if case.problem == "lost_sales" else DUAL_TUNED
    for label, kind in tuned.items():
        result = tune(
            scenario,
            case.node,
            kind,
            replications=settings.tune_replications,
            periods=settings.tune_periods,
            warmup=settings.warmup,
            seed=settings.tune_seed,
            max_evaluations=settings.max_evaluations,
        )
        chosen = ", ".join(f"{k}={v}" for k, v in result.parameters.items())
        policies[label] = (result.policy, chosen)
    if case.problem == "lost_sales":
        for k in (1, 2):
            myopic = Myopic(
                demand={"dist": "poisson", "mean": 5},
                holding_cost=1,
                lost_sales_cost=case.values["p"],
                lead_time=case.values["L"],
                periods=k,
            )
            policies[f"myopic-{k}"] = (_Memo(myopic), "")
    for label, factory in (extra or {}).items():
        policy = factory(case)
        if policy is not None:
            policies[label] = (policy, "")
    costs = {
        label: evaluate(
            scenario,
            {case.node: policy},
            replications=settings.replications,
            periods=settings.periods,
            warmup=settings.warmup,
            seed=settings.seed,
        )
        for label, (policy, _) in policies.items()
    }
    reference = costs["optimum (VI table)"]
    rows = []
    for label, (_, chosen) in policies.items():
        est = mean_ci(costs[label])
        paired = mean_ci(costs[label] - reference) if label != "optimum (VI table)" else None
        rows.append(
            {
                "problem": case.problem,
                "case": case.label,
                "policy": label,
                "parameters": chosen,
                "cost": est.mean,
                "ci95": est.half_width,
                "optimum": optimum.cost,
                "gap_pct": 100 * (est.mean - optimum.cost) / optimum.cost,
                "paired_diff": paired.mean if paired else 0.0,
                "paired_ci95": paired.half_width if paired else 0.0,
                "vi_seconds": solve_seconds,
            }
        )
    return rows


def markdown(table: pd.DataFrame) -> str:
    """One wide table per problem: ``cost ± CI (gap ± CI %)`` per policy, the gap being
    the paired difference against the simulated optimal table over the exact optimum."""
    parts = []
    for problem, rows in table.groupby("problem", sort=False):
        order = list(dict.fromkeys(rows["policy"]))
        header = ["case", "optimum (VI)", *order]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for case, group in rows.groupby("case", sort=False):
            cells = [case, f"{group['optimum'].iloc[0]:.4f}"]
            by = group.set_index("policy")
            for label in order:
                if label not in by.index:
                    cells.append("—")
                    continue
                r = by.loc[label]
                gap = 100 * r["paired_diff"] / r["optimum"]
                ci = 100 * r["paired_ci95"] / r["optimum"]
                cells.append(f"{r['cost']:.3f} ± {r['ci95']:.3f} ({gap:+.2f} ± {ci:.2f}%)")
            lines.append("| " + " | ".join(cells) + " |")
        parts.append(f"### {problem}\n\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def run(
    chosen: list[Case],
    settings: Settings = Settings(),
    extra: Mapping[str, Callable[[Case], Any]] | None = None,
    workers: int = 1,
    progress: Callable[[pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """All ``chosen`` cases (in a pool of ``workers`` processes; then ``extra``'s factories
    must be picklable: module-level functions); the long table."""
    results: dict[int, list[dict[str, Any]]] = {}
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_case, c, settings, extra): k for k, c in enumerate(chosen)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(pd.DataFrame(future.result()))
    else:
        for k, c in enumerate(chosen):
            results[k] = run_case(c, settings, extra)
            if progress is not None:
                progress(pd.DataFrame(results[k]))
    return pd.DataFrame([row for k in sorted(results) for row in results[k]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--problem", choices=("lost_sales", "dual_sourcing"), default=None)
    parser.add_argument("--replications", type=int, default=Settings.replications)
    parser.add_argument("--periods", type=int, default=Settings.periods)
    args = parser.parse_args()
    settings = Settings(replications=args.replications, periods=args.periods)
    chosen = [c for c in cases() if args.problem in (None, c.problem)]
    started = time.perf_counter()
    out = Path(args.out)

    def save(rows: pd.DataFrame) -> None:  # each finished case at once: nothing is lost
        name = f"{rows['problem'].iloc[0]}_{rows['case'].iloc[0]}".replace(", ", "_")
        write_text(out / "cases" / f"{name}.csv", rows.to_csv(index=False))
        print(f"done {name} after {time.perf_counter() - started:.0f} s", flush=True)

    table = run(chosen, settings, workers=args.workers, progress=save)
    suffix = f"_{args.problem}" if args.problem else ""
    write_text(out / f"baselines{suffix}.csv", table.to_csv(index=False))
    text = markdown(table)
    write_text(out / f"baselines{suffix}.md", text)
    print(text)
    print(f"{settings}; {time.perf_counter() - started:.0f} s with {args.workers} workers")
    print(table[["case", "policy", "parameters", "paired_diff", "paired_ci95"]].to_string())


if __name__ == "__main__":
    main()
