"""Table II item 1 (Oroojlooyjadid et al.): a DQN retailer in the beer game whose three
teammates play Sterman's anchoring-and-adjustment rule, against the best base-stock level
for the retailer given the same teammates.

The scenario is ``beer_game`` as declared (Sterman's average estimates at every stage,
demand 4 then 8 from week 5, 52 weeks). The base-stock level is tuned with
:func:`analysis.tune.tune` on the network's cost per period; the DQN is trained on the
retailer's own cost (``learner_env``'s reward; the paper shaped it towards the team's),
and both are then scored by :func:`analysis.tune.evaluate` on the same replication seeds
(common random numbers), beside Sterman's retailer as declared.

Usage::

    python benchmarks/rl_table2_dqn.py [--steps 150000] [--seed 0]
        [--actions quantity|position] [--out benchmarks/results/rl_table2_dqn]

writes ``OUT/dqn_<actions>/`` (learning curve, checkpoints) and ``OUT/table_<actions>.csv``
(policy, network cost per period, 95% half-width, minutes). ``--actions position``: the
DQN chooses the level to order the retailer's inventory position up to (a constant choice
is a base-stock policy) instead of the order.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from networks.io import atomic_path

NODE = "retailer"
EVAL = {"replications": 8, "seed": 1_000_000}


def main(argv: list[str] | None = None) -> None:
    import torch

    from agents.learning import TorchPolicy
    from analysis.learning import train_scenario
    from analysis.statistics import mean_ci
    from analysis.tune import evaluate, tune
    from scenarios import resolve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--actions",
        choices=("quantity", "position"),
        default="quantity",
        help="what the DQN's action chooses: the retailer's order, or the level to order its "
        "inventory position up to (sim.spaces.ActionMapping)",
    )
    parser.add_argument("--out", default="benchmarks/results/rl_table2_dqn")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    scenario = resolve("beer_game")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []

    def score(label: str, policies: dict, minutes: float) -> None:
        est = mean_ci(evaluate(scenario, policies, **EVAL))
        rows.append([label, round(est.mean, 3), round(est.half_width, 3), round(minutes, 2)])
        print(f"{label}: network cost per period {est.mean:.3f} ± {est.half_width:.3f}")

    score("sterman retailer (as declared)", {}, 0.0)
    tic = time.perf_counter()
    best = tune(scenario, NODE, "base_stock", replications=EVAL["replications"])
    level = best.parameters["level"]
    score(
        f"best base_stock(level={level:g})", {NODE: best.policy}, (time.perf_counter() - tic) / 60
    )
    tic = time.perf_counter()
    train_scenario(
        scenario,
        NODE,
        out / f"dqn_{args.actions}",
        steps=args.steps,
        seed=args.seed,
        periods=scenario.periods,
        progress=False,
        algo="dqn",
        action=args.actions,
    )
    policy = TorchPolicy.load(out / f"dqn_{args.actions}")
    score(
        f"dqn, {args.actions} actions ({args.steps} steps, seed {args.seed})",
        {NODE: policy},
        (time.perf_counter() - tic) / 60,
    )
    with (
        atomic_path(out / f"table_{args.actions}.csv") as tmp,
        open(tmp, "w", newline="", encoding="utf-8") as f,
    ):
        writer = csv.writer(f)
        writer.writerow(["policy", "network_cost_per_period", "ci95", "minutes"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
