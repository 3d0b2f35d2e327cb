"""A learner that beats base stock with uniform recommendation on the §VI firm: Joint IM-RS
in the residual action form, over seeds, against the tuned baseline and the tuned
margin-targeting heuristic, paired on common random numbers.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/recommendation_residual.py [--steps N]
[--seeds 0,1,2] [--scenarios recommendation_lost,recommendation_backlog] [--workers 2]
[--out DIR]``.

For each built-in scenario (N = 10 products, M = 100 customers):

* **Residual Joint IM-RS**: PPO by :func:`analysis.learning.train_recommendation`
  (``supplysim train recommendation_* --actions residual``: the defaults of the command,
  :func:`analysis.learning.residual_actions` and
  :data:`analysis.learning.RESIDUAL_INIT_LOG_STD`), one run per seed into
  ``OUT/<scenario>/seed<k>/`` (rerunning resumes; a finished run is not trained again).
  Its zero action is the baseline below, so whatever it gains it learned.
* **base stock + uniform (tuned)**: base stock per product with uniform recommendation,
  the multiple tuned by :func:`analysis.recommendation.tune` on ``--tune-seeds`` runs
  (other seeds), as in ``benchmarks/recommendation_fig2.py``.
* **margin targeting (tuned)**: :class:`agents.recommendation.TargetedRecommendation`
  (margins as :class:`sim.recommendation.Targeting`'s weights) with
  :class:`agents.recommendation.CoverBaseStock` (levels on the demand it creates), the
  base-stock multiple and the weights' scale tuned by the same search: the best heuristic
  the project has for this firm, in the form the learner's action can express.

Every policy plays the same ``--episodes`` evaluation episodes (``env.reset(seed=s)``),
the trained ones greedily. Written atomically to ``OUT``: ``residual_profits.csv`` (one
row per scenario, policy and episode), ``residual.csv`` (each policy's mean profit per
episode with its 95% CI; each seed's learner minus each heuristic, paired by episode;
the mean over seeds minus each heuristic, 95% CI over seeds), ``residual.md`` and
``residual.png`` (training curves, mean and range over seeds; each seed's greedy policy
and the two heuristics as evaluated).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.recommendation import CoverBaseStock, TargetedRecommendation, UniformRecommendation
from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.learning import EPISODE_PERIODS, RESIDUAL_INIT_LOG_STD, residual_actions
from analysis.recommendation import (
    episode_profits,
    heuristic_episode_profits,
    tune,
)
from analysis.statistics import mean_ci
from scenarios.recommendation import BUILTIN, RecommendationScenario, builtin_with

BASELINE, TARGETING = "base stock + uniform (tuned)", "margin targeting (tuned)"
#: base-stock multiples and targeting scales the heuristics' search tries
MULTIPLES = (0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.6)
SCALES = (0.125, 0.25, 0.375, 0.5, 0.75, 1.0)
TUNE_SEED, EVAL_SEED = 1000, 2000


def learner(seed: int) -> str:
    return f"residual Joint IM-RS, seed {seed}"


def train_one(scenario: RecommendationScenario, seed: int, folder: Path, steps: int) -> float:
    """Train (or resume, or find finished) one run; the minutes its curve records."""
    from analysis.learning import train_recommendation

    train_recommendation(
        scenario,
        "joint",
        folder,
        steps=steps,
        seed=seed,
        progress=False,
        actions=residual_actions(scenario.base_stock_multiple),
        init_log_std=RESIDUAL_INIT_LOG_STD,
    )
    return float(pd.read_csv(folder / "learning_curve.csv")["wall_seconds"].iloc[-1]) / 60


def tuned_heuristics(scenario: RecommendationScenario, tune_seeds: int) -> dict[str, Any]:
    """Both heuristics tuned on the tuning seeds: ``{label: (inventory, recommendation,
    parameters)}``."""
    problem = scenario.problem()
    seeds = [replication_seed(TUNE_SEED, r) for r in range(tune_seeds)]
    options = {"periods": EPISODE_PERIODS, "warmup": 0, "seeds": seeds}
    base = tune(problem, lambda _: UniformRecommendation(), multiples=MULTIPLES, mixes=(1.0,), **options)  # fmt: skip
    target = tune(
        problem,
        TargetedRecommendation,
        inventory=lambda _, m: CoverBaseStock(m),
        multiples=MULTIPLES,
        mixes=SCALES,
        **options,
    )
    for label, t, grid in ((BASELINE, base, (1.0,)), (TARGETING, target, SCALES)):
        if t.multiple in (MULTIPLES[0], MULTIPLES[-1]) or (len(grid) > 1 and t.mix == grid[-1]):
            print(f"{scenario.name}: note: {label}'s optimum is at its grid's edge")
    return {
        BASELINE: (base.inventory, base.recommendation, {"multiple": base.multiple}),
        TARGETING: (
            target.inventory,
            target.recommendation,
            {"multiple": target.multiple, "scale": target.mix},
        ),
    }


def evaluate_scenario(
    scenario: RecommendationScenario, folder: Path, seeds: list[int], args: argparse.Namespace
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every policy's episode profits (``scenario``, ``policy``, ``episode``, ``seed``,
    ``profit``) and the heuristics' tuned parameters."""
    from agents.learning.recommendation import RecommendationPolicy

    problem = scenario.problem()
    actions = residual_actions(scenario.base_stock_multiple)
    episodes = [replication_seed(EVAL_SEED, r) for r in range(args.episodes)]
    profits = {}
    for seed in seeds:
        policy = RecommendationPolicy.load(
            folder / f"seed{seed}", problem, "joint", actions=actions
        )
        profits[learner(seed)] = episode_profits(
            problem, policy, episodes, periods=EPISODE_PERIODS, actions=actions
        )
    heuristics = tuned_heuristics(scenario, args.tune_seeds)
    for label, (inventory, recommendation, _) in heuristics.items():
        profits[label] = heuristic_episode_profits(
            problem, inventory, recommendation, episodes, periods=EPISODE_PERIODS
        )
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": scenario.name,
                    "policy": label,
                    "episode": np.arange(len(episodes)),
                    "seed": episodes,
                    "profit": values,
                }
            )
            for label, values in profits.items()
        ],
        ignore_index=True,
    )
    return frame, {label: h[2] for label, h in heuristics.items()}


def summary(profits: pd.DataFrame, seeds: list[int]) -> pd.DataFrame:
    """Per scenario: each policy's mean profit per episode (``kind="policy"``); each
    seed's learner minus each heuristic, paired by episode (``"paired"``); the learners'
    mean over seeds minus each heuristic, 95% CI over seeds (``"over seeds"``; two seeds
    or more)."""
    rows = []
    for name, table in profits.groupby("scenario", sort=False):
        by = {p: t.set_index("episode")["profit"] for p, t in table.groupby("policy", sort=False)}

        def row(kind: str, label: str, values: Any, name: str = name) -> dict[str, Any]:
            est = mean_ci(np.asarray(values, dtype=float))
            return {"scenario": name, "kind": kind, "label": label, "mean": est.mean,
                    "ci95": est.half_width, "n": est.n}  # fmt: skip

        for label, values in by.items():
            rows.append(row("policy", label, values))
        for heuristic in (BASELINE, TARGETING):
            for seed in seeds:
                diff = by[learner(seed)] - by[heuristic]
                rows.append(row("paired", f"{learner(seed)} - {heuristic}", diff))
            per_seed = [by[learner(s)].mean() - by[heuristic].mean() for s in seeds]
            if len(seeds) > 1:
                rows.append(row("over seeds", f"residual Joint IM-RS - {heuristic}", per_seed))
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, settings: str) -> str:
    cell = lambda r: f"{r['mean']:,.1f} ± {r['ci95']:,.1f}"  # noqa: E731
    lines = ["# Residual Joint IM-RS: profit per episode (money), mean ± 95% CI\n", settings, ""]
    lines += ["| scenario | policy | mean ± 95% CI | n |", "|---|---|---|---|"]
    for _, r in table.iterrows():
        label = f"**{r['label']}**" if r["kind"] == "over seeds" else r["label"]
        lines.append(f"| {r['scenario']} | {label} | {cell(r)} | {r['n']} |")
    lines += ["", "Rows with a minus sign are paired differences: by episode on the same "
              "seeds, or (bold) the mean over seeds with a 95% CI over seeds."]  # fmt: skip
    return "\n".join(lines) + "\n"


def figure(curves: dict[str, list[pd.DataFrame]], table: pd.DataFrame) -> Any:
    """Training curves (return per training episode of the stochastic policy, mean and range
    over seeds), each seed's greedy policy as evaluated (points at the last step) and the
    heuristics' evaluated profit per episode, one panel per scenario."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(7 * len(curves), 4.5), squeeze=False)
    for ax, (name, runs) in zip(axes[0], curves.items(), strict=True):
        closed = [r[r["episodes"] > 0] for r in runs]  # rows that close training episodes
        steps = closed[0]["step"].to_numpy()
        y = np.array([r["mean_return"].to_numpy() for r in closed])
        ax.plot(steps, y.mean(axis=0), label=f"residual Joint IM-RS ({len(runs)} seeds)")
        ax.fill_between(steps, y.min(axis=0), y.max(axis=0), alpha=0.25, label="range over seeds")
        policies = table[(table["scenario"] == name) & (table["kind"] == "policy")]
        greedy = policies[policies["label"].str.startswith("residual")]["mean"]
        ax.scatter(np.full(len(greedy), runs[0]["step"].iloc[-1]), greedy, marker="o", color="C0", zorder=3,
                   label="each seed's greedy policy, evaluated")  # fmt: skip
        for label, style in ((BASELINE, "--"), (TARGETING, ":")):
            value = policies.set_index("label").loc[label, "mean"]
            ax.axhline(value, color="k", ls=style, lw=1, label=f"{label}, evaluated")
        ax.set(title=f"{name}: training episodes (stochastic policy)",
               xlabel="environment steps (periods x copies)",
               ylabel=f"profit per episode ({EPISODE_PERIODS} periods, money)")  # fmt: skip
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.35 * (hi - lo))  # room for the legend above the lines
        ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/recommendation_residual")
    parser.add_argument("--scenarios", default=",".join(BUILTIN), help="comma-separated")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=300_000, help="PPO steps per run")
    parser.add_argument("--episodes", type=int, default=100, help="evaluation episodes")
    parser.add_argument("--tune-seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="PPO runs trained at once")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a scenario field (tests: a tiny instance)")  # fmt: skip
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILTIN]
    if unknown or not names:
        parser.error(f"--scenarios: unknown {unknown}; known: {', '.join(BUILTIN)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    out = Path(args.out)
    scenarios = {n: builtin_with(n, args.set) for n in names}
    started = time.perf_counter()
    jobs = [(s, seed, out / n / f"seed{seed}", args.steps) for n, s in scenarios.items() for seed in seeds]  # fmt: skip
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            minutes = [f.result() for f in [pool.submit(train_one, *job) for job in jobs]]
    else:
        minutes = [train_one(*job) for job in jobs]
    for (s, seed, _, _), m in zip(jobs, minutes, strict=True):
        print(f"trained {s.name} seed {seed}: {m:.1f} minutes of training", flush=True)
    frames, tuned = [], {}
    for n, s in scenarios.items():
        frame, tuned[n] = evaluate_scenario(s, out / n, seeds, args)
        frames.append(frame)
    profits = pd.concat(frames, ignore_index=True)
    table = summary(profits, seeds)
    write_text(out / "residual_profits.csv", profits.to_csv(index=False))
    write_text(out / "residual.csv", table.to_csv(index=False))
    first = next(iter(scenarios.values()))
    settings = (
        f"N = {first.n_products} products, M = {first.n_customers} customers; PPO "
        f"{args.steps:,} steps per run (64 copies, lr 1e-3, init log std "
        f"{RESIDUAL_INIT_LOG_STD}), seeds {', '.join(map(str, seeds))}; training minutes "
        f"{', '.join(f'{m:.1f}' for m in minutes)}; {args.episodes} evaluation episodes of "
        f"{EPISODE_PERIODS} periods, the same seeds for every policy; heuristics tuned on "
        f"{args.tune_seeds} other seeds: {json.dumps(tuned)}."
    )
    write_text(out / "residual.md", markdown(table, settings))
    from analysis.plots import save_figure

    curves = {
        n: [pd.read_csv(out / n / f"seed{seed}" / "learning_curve.csv") for seed in seeds]
        for n in scenarios
    }
    save_figure(figure(curves, table), out / "residual.png")
    print(f"done after {time.perf_counter() - started:.0f} s")
    print((out / "residual.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
