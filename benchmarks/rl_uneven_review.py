"""Table I, row 3: reviews at uneven intervals. PPO's order-up-to levels by review epoch
against the best base-stock levels by epoch.

Run: ``python benchmarks/rl_uneven_review.py [--steps N] [--out DIR]`` (about 5 minutes on
2 cores). The ``uneven_review`` scenario reviews on days 0, 1 and 3 of a 7-day cycle. The
script tunes the three levels of :class:`agents.EpochBaseStock` by coordinate search on
common random numbers (from the newsvendor levels), trains PPO for the node (the learner
keeps the epochs of the module it replaces), evaluates both on the same evaluation seeds,
and measures the learned policy's order-up-to level at each epoch: the inventory position
after its order (mean and spread over the epochs of a long run). Writes
``rl_uneven_review.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from agents import EpochBaseStock, checkpoint
from analysis.files import write_text
from analysis.learning import train_scenario
from analysis.statistics import mean_ci
from analysis.tune import evaluate
from scenarios import resolve
from sim import SupplyChainModel

EVALUATION = {"replications": 8, "periods": 7200, "warmup": 200, "seed": 2}
TUNING = {"replications": 4, "periods": 3600, "warmup": 200, "seed": 1}


def tune_levels(scenario, start: tuple[int, ...], epochs, cycle) -> tuple[tuple[int, ...], int]:
    """Coordinate search on whole levels, one epoch at a time, until no move helps."""

    def cost(levels):
        policy = EpochBaseStock(levels=levels, epochs=epochs, cycle=cycle)
        return float(np.mean(evaluate(scenario, {"stage1": policy}, **TUNING)))

    best, best_cost, evaluations = tuple(start), cost(start), 1
    improved = True
    while improved:
        improved = False
        for k in range(len(best)):
            for step in (-1, 1):
                while True:
                    trial = tuple(x + step if i == k else x for i, x in enumerate(best))
                    trial_cost = cost(trial)
                    evaluations += 1
                    if trial_cost >= best_cost:
                        break
                    best, best_cost, improved = trial, trial_cost, True
    return best, evaluations


class Recorder:
    """Wraps a module: the inventory position after its order, by epoch."""

    def __init__(self, module, epochs, cycle):
        self.module, self.epochs, self.cycle = module, epochs, cycle
        self.observes = getattr(module, "observes", frozenset())
        self.after: dict[int, list[float]] = {k: [] for k in range(len(epochs))}

    def act(self, obs):
        q = self.module.act(obs)
        phase = obs.period % self.cycle
        if phase in self.epochs:
            self.after[self.epochs.index(phase)].append(obs.inventory_position + float(q))
        return q


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2_000_000, help="PPO environment steps")
    parser.add_argument("--out", default="benchmarks/results/rl_uneven_review")
    args = parser.parse_args()
    out = Path(args.out)
    scenario = resolve("uneven_review")
    declared = scenario.policies()["stage1"]
    epochs, cycle = declared.epochs, declared.cycle

    start = time.perf_counter()
    tuned, evaluations = tune_levels(
        scenario, tuple(int(x) for x in declared.levels), epochs, cycle
    )
    tuning_minutes = (time.perf_counter() - start) / 60
    start = time.perf_counter()
    train_scenario(scenario, "stage1", out, steps=args.steps, seed=0, periods=140, progress=False)
    training_minutes = (time.perf_counter() - start) / 60
    learned = checkpoint(str(out))

    policies = {
        f"base-stock by epoch, newsvendor {declared.levels}": declared,
        f"base-stock by epoch, tuned {tuned}": EpochBaseStock(
            levels=tuned, epochs=epochs, cycle=cycle
        ),
        "PPO": learned,
    }
    costs = {
        label: evaluate(scenario, {"stage1": p}, **EVALUATION) for label, p in policies.items()
    }
    reference = costs[f"base-stock by epoch, tuned {tuned}"]
    recorder = Recorder(learned, epochs, cycle)
    model = SupplyChainModel(scenario.network(), {"stage1": recorder}, seed=7, **scenario.options)
    model.run(7000)

    gaps = learned.layout.review_gaps()
    lines = [
        f"uneven_review: reviews on days {list(epochs)} of a {cycle}-day cycle (gaps {gaps}); "
        f"tuning {evaluations} points in {tuning_minutes:.1f} min, PPO {args.steps:,} steps in "
        f"{training_minutes:.1f} min. Evaluation: {EVALUATION['replications']} x "
        f"{EVALUATION['periods']} periods (warm-up {EVALUATION['warmup']}), common random "
        "numbers.\n",
        "| policy | cost per period | paired difference to the tuned levels |",
        "|---|---|---|",
    ]
    for label, c in costs.items():
        est, diff = mean_ci(c), mean_ci(c - reference)
        lines.append(
            f"| {label} | {est.mean:.3f} ± {est.half_width:.3f} | "
            f"{diff.mean:+.3f} ± {diff.half_width:.3f} |"
        )
    lines += [
        "",
        "| epoch (day) | gap to next review | tuned level | PPO's order-up-to: mean (std) | "
        "PPO at its most frequent level |",
        "|---|---|---|---|---|",
    ]
    for k, day in enumerate(epochs):
        after = np.array(recorder.after[k])
        values, counts = np.unique(np.round(after), return_counts=True)
        mode = values[np.argmax(counts)]
        lines.append(
            f"| {k} (day {day}) | {gaps[k]} | {tuned[k]} | {after.mean():.2f} ({after.std():.2f}) "
            f"| {mode:.0f} ({counts.max() / len(after):.0%} of its decisions) |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    write_text(out / "rl_uneven_review.md", text)


if __name__ == "__main__":
    main()
