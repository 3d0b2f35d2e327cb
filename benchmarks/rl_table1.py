"""PPO against the exact optimum and tuned heuristics on the seed paper's Table I problems.

Run: ``python benchmarks/rl_table1.py [--cases p9L1,p9L2,...] [--steps N] [--out DIR]``.
Each case (lost sales: ``p{p}L{L}``; dual sourcing: ``dL{L}c{c_e}``) trains PPO for its
learner node (``supplysim train`` does the same), then evaluates on the same evaluation
seeds (common random numbers): the trained policy, the optimal policy table of value
iteration, and base-stock (lost sales) or the dual index (dual sourcing) tuned by
:func:`analysis.tune.tune` on other seeds. It prints and writes ``rl_table1.md``: cost per
period with 95% CI, the gap to the exact optimum, and the paired difference against the
optimal table (same random numbers) with its 95% CI, plus the training wall time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from agents import checkpoint
from analysis.exact import (
    dual_sourcing_optimum,
    dual_sourcing_scenario,
    lost_sales_optimum,
    lost_sales_scenario,
)
from analysis.files import write_text
from analysis.learning import train_scenario
from analysis.statistics import mean_ci
from analysis.tune import evaluate, tune

EVALUATION = {"replications": 8, "periods": 5200, "warmup": 200, "seed": 2}
TUNING = {"replications": 3, "periods": 2200, "warmup": 200, "seed": 1}


def problem(case: str):
    """``(scenario, node, optimum, heuristic kind)`` of a case name."""
    if case.startswith("p"):
        p, lead = case[1:].split("L")
        scenario = lost_sales_scenario(lost_sales_cost=float(p), lead_time=int(lead))
        optimum = lost_sales_optimum(lost_sales_cost=float(p), lead_time=int(lead))
        return scenario, "stage1", optimum, "base_stock"
    lead, cost = case[2:].split("c")
    scenario = dual_sourcing_scenario(lead_time=int(lead), expedited_cost=float(cost))
    optimum = dual_sourcing_optimum(lead_time=int(lead), expedited_cost=float(cost))
    return scenario, "shop", optimum, "dual_index"


def row(label: str, costs: np.ndarray, optimal: np.ndarray, exact: float) -> str:
    est, diff = mean_ci(costs), mean_ci(costs - optimal)
    gap = 100 * (est.mean - exact) / exact
    return (
        f"| {label} | {est.mean:.3f} ± {est.half_width:.3f} | {gap:+.2f}% | "
        f"{diff.mean:+.3f} ± {diff.half_width:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="p9L1,p9L2", help="comma-separated case names")
    parser.add_argument("--steps", type=int, default=3_000_000, help="PPO steps per case")
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--episode-periods", type=int, default=100)
    parser.add_argument("--ent-coef", type=float, default=0.0)
    parser.add_argument("--out", default="benchmarks/results/rl_table1")
    args = parser.parse_args()
    out = Path(args.out)
    lines = []
    for case in args.cases.split(","):
        scenario, node, optimum, kind = problem(case)
        start = time.perf_counter()
        train_scenario(
            scenario, node, out / case, steps=args.steps, seed=0, num_envs=args.num_envs,
            periods=args.episode_periods, progress=False, lr=args.lr, ent_coef=args.ent_coef,
        )  # fmt: skip
        minutes = (time.perf_counter() - start) / 60
        tuned = tune(scenario, node, kind, **TUNING)
        optimal = evaluate(scenario, {node: optimum.policy}, **EVALUATION)
        learned = evaluate(scenario, {node: checkpoint(str(out / case))}, **EVALUATION)
        heuristic = evaluate(scenario, {node: tuned.policy}, **EVALUATION)
        chosen = ", ".join(f"{k}={v}" for k, v in tuned.parameters.items())
        lines += [
            f"\n### {case}: exact optimum {optimum.cost:.4f}; PPO {args.steps:,} steps "
            f"(K = {args.num_envs}, lr {args.lr:g}, episodes of {args.episode_periods} periods, "
            f"entropy coefficient {args.ent_coef:g}), {minutes:.1f} min\n",
            "| policy | cost per period | gap to optimum | paired difference to the optimal table |",
            "|---|---|---|---|",
            row("optimal table (value iteration)", optimal, optimal, optimum.cost),
            row("PPO", learned, optimal, optimum.cost),
            row(f"{kind} ({chosen}), tuned", heuristic, optimal, optimum.cost),
        ]
        print("\n".join(lines[-6:]), flush=True)
    text = (
        f"Evaluation: {EVALUATION['replications']} replications x {EVALUATION['periods']} "
        f"periods (warm-up {EVALUATION['warmup']}, seed {EVALUATION['seed']}), common random "
        "numbers for every policy.\n" + "\n".join(lines) + "\n"
    )
    write_text(out / "rl_table1.md", text)


if __name__ == "__main__":
    main()
