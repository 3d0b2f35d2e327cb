"""The seed paper's Fig. 2: episode profits of Joint IM-RS, IM-Only, RS-Only and Naive IM-RS
in the lost-sales and backlog §VI scenarios, paired on common random numbers.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/recommendation_fig2.py [--steps N]
[--scenarios recommendation_lost,recommendation_backlog] [--workers 2]
[--actions paper|residual] [--out DIR]``.

``--actions residual`` trains and plays every agent in the residual action form
(:func:`analysis.learning.residual_actions`, PPO's
:data:`~analysis.learning.RESIDUAL_INIT_LOG_STD`; the random half of IM-Only and RS-Only
is then random levels around base stock or random targeting weights); its results go to
``OUT`` ``_residual`` by default.

For each built-in scenario (:data:`scenarios.recommendation.BUILTIN`; N = 10 products,
M = 100 customers unless ``--set`` says otherwise):

* **PPO**, three runs by :func:`analysis.learning.train_recommendation` (the defaults of
  ``supplysim train``: 64 copies x 32 steps a rollout, lr 1e-3; ``--seed``; episodes of
  ``--periods`` periods) into ``OUT/<scenario>/<control>/``: **Joint IM-RS**
  (``control="joint"``: orders and recommendation), **IM-Only** (``"inventory"``: the
  recommendation random) and **RS-Only** (``"recommendation"``: the orders random).
  Rerunning resumes a run from its last checkpoint; a finished one is not trained again.
* **Naive IM-RS**: :class:`agents.learning.recommendation.NaiveJointPolicy` of the IM-Only
  and RS-Only checkpoints (the IM-Only policy's orders with the RS-Only policy's
  recommendation; no training of its own).
* **Heuristic**: base stock per product with uniform recommendation, the base-stock
  multiple tuned by :func:`analysis.recommendation.tune` on ``--tune-seeds`` runs of
  ``--periods`` periods (other seeds than the evaluation's), kept in
  ``OUT/<scenario>/heuristic.json``.

Every agent then plays the same ``--episodes`` evaluation episodes (``env.reset(seed=s)``
for the seeds ``replication_seed(EVAL_SEED, r)``: the same customers' draws, and the same
random half of IM-Only's and RS-Only's actions, whoever decides), the trained ones with
their deterministic actions. Written atomically to ``OUT``: ``fig2_profits.csv`` (one row
per scenario, agent and episode: the figure's samples), ``fig2.csv`` (per scenario: each
agent's mean episode profit with its 95% CI; Joint IM-RS minus each other agent and Naive
IM-RS minus the better single-function agent, paired by episode, with 95% CIs), ``fig2.md``
(the tables; the paper's two findings checked, and Joint IM-RS against the heuristic) and
``fig2.png`` (a KDE of episode profits per agent, one panel per scenario).
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

from agents.recommendation import UniformRecommendation
from analysis.experiment import replication_seed
from analysis.files import write_text
from analysis.learning import EPISODE_PERIODS
from analysis.recommendation import (
    base_stock,
    episode_profits,
    heuristic_episode_profits,
    tune,
)
from analysis.statistics import mean_ci
from scenarios.recommendation import BUILTIN, RecommendationScenario, builtin_with

#: The trained agents: label -> what the learner decides (``RecommendationEnv.control``).
TRAINED = {"Joint IM-RS": "joint", "IM-Only": "inventory", "RS-Only": "recommendation"}
NAIVE, HEURISTIC = "Naive IM-RS", "base stock + uniform (tuned)"
#: Every agent, in the order of the tables and the figure.
AGENTS = (*TRAINED, NAIVE, HEURISTIC)
JOINT, SINGLE = "Joint IM-RS", ("IM-Only", "RS-Only")
#: The base-stock multiples the heuristic's search tries (levels ``multiple * (L_i + 1) *
#: mu_i``; :func:`analysis.recommendation.base_stock`).
MULTIPLES = (0.6, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4, 1.7, 2.0, 2.5)
TUNE_SEED, EVAL_SEED = 1000, 2000


def train_one(
    scenario: RecommendationScenario, control: str, folder: Path, args: argparse.Namespace
) -> float:
    """Train (or resume, or find finished) the PPO run of ``control``; returns the minutes of
    training its learning curve records (interrupted sessions included)."""
    from analysis.learning import RESIDUAL_INIT_LOG_STD, residual_actions, train_recommendation

    residual = {}
    if args.actions == "residual":
        residual = {
            "actions": residual_actions(scenario.base_stock_multiple),
            "init_log_std": RESIDUAL_INIT_LOG_STD,
        }
    train_recommendation(
        scenario,
        control,
        folder,
        steps=args.steps,
        seed=args.seed,
        num_envs=args.num_envs,
        periods=args.periods,
        progress=False,
        lr=args.lr,
        **residual,
    )
    return float(pd.read_csv(folder / "learning_curve.csv")["wall_seconds"].iloc[-1]) / 60


def tuned_heuristic(
    scenario: RecommendationScenario, folder: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """The heuristic's search, kept in ``folder/heuristic.json`` (redone only when its
    settings change)."""
    settings = {
        "multiples": list(MULTIPLES),
        "tune_seeds": args.tune_seeds,
        "periods": args.periods,
        "instance": json.loads(scenario.to_json()),
    }
    done = folder / "heuristic.json"
    if done.is_file():
        kept = json.loads(done.read_text(encoding="utf-8"))
        if kept["settings"] == settings:
            return kept
    result = tune(
        scenario.problem(),
        lambda _mix: UniformRecommendation(),
        multiples=MULTIPLES,
        mixes=(1.0,),
        periods=args.periods,
        warmup=0,
        seeds=[replication_seed(TUNE_SEED, r) for r in range(args.tune_seeds)],
    )
    kept = {
        "settings": settings,
        "multiple": result.multiple,
        "profit_per_period": result.profit,
        "table": result.table.to_dict(orient="records"),
    }
    if result.multiple in (MULTIPLES[0], MULTIPLES[-1]):
        print(f"{scenario.name}: note: the tuned multiple {result.multiple} is at the grid's edge")
    write_text(done, json.dumps(kept, indent=2) + "\n")
    return kept


def evaluate_scenario(
    scenario: RecommendationScenario, folder: Path, args: argparse.Namespace
) -> pd.DataFrame:
    """Every agent's episode profits on the evaluation seeds: one row per agent and episode
    (``scenario``, ``agent``, ``episode``, ``seed``, ``profit`` in money per episode)."""
    from agents.learning.recommendation import NaiveJointPolicy, RecommendationPolicy
    from analysis.learning import residual_actions

    problem = scenario.problem()
    actions = residual_actions(scenario.base_stock_multiple) if args.actions == "residual" else None
    seeds = [replication_seed(EVAL_SEED, r) for r in range(args.episodes)]
    policies: dict[str, Any] = {
        label: RecommendationPolicy.load(folder / control, problem, control, actions=actions)
        for label, control in TRAINED.items()
    }
    policies[NAIVE] = NaiveJointPolicy(policies["IM-Only"], policies["RS-Only"])
    profits = {
        label: episode_profits(problem, policy, seeds, periods=args.periods, actions=actions)
        for label, policy in policies.items()
    }
    multiple = tuned_heuristic(scenario, folder, args)["multiple"]
    profits[HEURISTIC] = heuristic_episode_profits(
        problem, base_stock(problem, multiple), UniformRecommendation(), seeds, periods=args.periods
    )
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "scenario": scenario.name,
                    "agent": label,
                    "episode": np.arange(len(seeds)),
                    "seed": seeds,
                    "profit": profits[label],
                }
            )
            for label in AGENTS
        ],
        ignore_index=True,
    )


def summary(profits: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: each agent's mean episode profit (``kind="agent"``), Joint IM-RS minus
    each other agent and Naive IM-RS minus the better of IM-Only and RS-Only (by mean;
    ``kind="paired"``), each with its 95% CI half-width over ``n`` episodes."""
    rows = []
    for name, table in profits.groupby("scenario", sort=False):
        by = {a: t.set_index("episode")["profit"] for a, t in table.groupby("agent", sort=False)}

        def row(kind: str, label: str, values: pd.Series, name: str = name) -> dict[str, Any]:
            est = mean_ci(values.to_numpy())
            return {"scenario": name, "kind": kind, "label": label, "mean": est.mean,
                    "ci95": est.half_width, "n": est.n}  # fmt: skip

        for agent in AGENTS:
            rows.append(row("agent", agent, by[agent]))
        for agent in AGENTS[1:]:
            rows.append(row("paired", f"{JOINT} - {agent}", by[JOINT] - by[agent]))
        best = max(SINGLE, key=lambda a: by[a].mean())
        rows.append(row("paired", f"{NAIVE} - {best}", by[NAIVE] - by[best]))
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, settings: str) -> str:
    """The summary as Markdown: profits per agent, paired differences, and the paper's two
    findings checked per scenario."""
    cell = lambda r: f"{r['mean']:,.1f} ± {r['ci95']:,.1f}"  # noqa: E731
    lines = ["# Fig. 2: profit per episode (money), mean ± 95% CI half-width\n", settings, ""]
    lines += ["| scenario | " + " | ".join(AGENTS) + " |", "|---" * (len(AGENTS) + 1) + "|"]
    for name, t in table.groupby("scenario", sort=False):
        agents = t[t["kind"] == "agent"].set_index("label")
        lines.append(f"| {name} | " + " | ".join(cell(agents.loc[a]) for a in AGENTS) + " |")
    lines += ["", "Paired differences (same episodes), mean ± 95% CI half-width:", ""]
    lines += ["| scenario | difference | mean ± 95% CI | episodes |", "|---|---|---|---|"]
    for name, t in table.groupby("scenario", sort=False):
        for _, r in t[t["kind"] == "paired"].iterrows():
            lines.append(f"| {name} | {r['label']} | {cell(r)} | {r['n']} |")
    lines += ["", "The paper's findings (a paired CI above zero counts as better):", ""]
    yes = lambda ok: "**yes**" if ok else "**no**"  # noqa: E731
    for name, t in table.groupby("scenario", sort=False):
        paired = t[t["kind"] == "paired"].set_index("label")
        above = paired["mean"] - paired["ci95"] > 0
        learned = [f"{JOINT} - {a}" for a in (*SINGLE, NAIVE)]
        naive = next(label for label in paired.index if label.startswith(f"{NAIVE} - "))
        lines.append(
            f"- {name}: Joint IM-RS better than IM-Only, RS-Only and Naive IM-RS: "
            f"{yes(above[learned].all())}; better than the tuned heuristic: "
            f"{yes(above[f'{JOINT} - {HEURISTIC}'])}; Naive IM-RS better than the best "
            f"single-function agent ({naive}: {cell(paired.loc[naive])}): {yes(above[naive])}"
        )
    return "\n".join(lines) + "\n"


def figure(profits: pd.DataFrame, periods: int) -> Any:
    """A KDE of episode profits per agent (:func:`analysis.plots.plot_reward_kde`), one
    panel per scenario; the rug's ticks are the episodes' profits."""
    import matplotlib.pyplot as plt

    from analysis.plots import plot_reward_kde

    names = list(dict.fromkeys(profits["scenario"]))
    fig, axes = plt.subplots(1, len(names), figsize=(7.5 * len(names), 6.5), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        table = profits[profits["scenario"] == name]
        samples = {a: table.loc[table["agent"] == a, "profit"].to_numpy() for a in AGENTS}
        episodes = table["episode"].nunique()
        plot_reward_kde(
            samples,
            xlabel=f"profit per episode (money, {periods} periods)",
            title=f"{name}: {episodes} episodes, the same seeds for every agent",
            ax=ax,
        )
    fig.suptitle("Fig. 2: episode profits of the §VI firm (KDE; rug: one tick an episode)")
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", choices=("paper", "residual"), default="paper")
    parser.add_argument("--out", help="default benchmarks/results/recommendation_fig2[_residual]")
    parser.add_argument("--scenarios", default=",".join(BUILTIN), help="comma-separated")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a scenario field (e.g. n_customers=1000)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=500_000, help="PPO steps per run")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0, help="PPO's seed")
    parser.add_argument("--periods", type=int, default=EPISODE_PERIODS, help="episode length")
    parser.add_argument("--episodes", type=int, default=100, help="evaluation episodes")
    parser.add_argument("--tune-seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="PPO runs trained at once")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILTIN]
    if unknown or not names:
        parser.error(f"--scenarios: unknown {unknown}; known: {', '.join(BUILTIN)}")
    residual = args.actions == "residual"
    out = Path(args.out or "benchmarks/results/recommendation_fig2" + "_residual" * residual)
    scenarios = {n: builtin_with(n, args.set) for n in names}
    started = time.perf_counter()
    jobs = [(s, control, out / n / control) for n, s in scenarios.items() for control in TRAINED.values()]  # fmt: skip
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(train_one, *job, args) for job in jobs]
            minutes = [f.result() for f in futures]
    else:
        minutes = [train_one(*job, args) for job in jobs]
    for (s, control, _), m in zip(jobs, minutes, strict=True):
        print(f"trained {s.name} {control}: {m:.1f} minutes of training", flush=True)
    profits = pd.concat(
        [evaluate_scenario(s, out / n, args) for n, s in scenarios.items()], ignore_index=True
    )
    table = summary(profits)
    write_text(out / "fig2_profits.csv", profits.to_csv(index=False))
    write_text(out / "fig2.csv", table.to_csv(index=False))
    first = next(iter(scenarios.values()))
    settings = (
        f"Action form: {args.actions}. "
        f"N = {first.n_products} products, M = {first.n_customers} customers; PPO "
        f"{args.steps:,} steps per agent ({args.num_envs} copies, lr {args.lr:g}, seed "
        f"{args.seed}), training minutes {', '.join(f'{m:.1f}' for m in minutes)}; "
        f"{args.episodes} evaluation episodes of {args.periods} periods, the same seeds for "
        f"every agent; heuristic tuned on {args.tune_seeds} other seeds."
    )
    write_text(out / "fig2.md", markdown(table, settings))
    from analysis.plots import save_figure

    save_figure(figure(profits, args.periods), out / "fig2.png")
    print(f"done after {time.perf_counter() - started:.0f} s")
    print((out / "fig2.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
