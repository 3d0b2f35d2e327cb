"""The follow-up paper's claim: multi-timescale multi-agent PPO (MTMA) against
single-timescale multi-agent PPO and single-agent PPO over the joint action, on the §VI
firm (inventory and recommendation), over seeds and two problem sizes.

Run: ``PYTHONPATH=. nice -n 10 python benchmarks/recommendation_mtma.py [--sizes small,large]
[--seeds 0,1,2] [--steps N] [--actions paper|residual] [--out DIR]``.

``--actions residual`` trains every learner in the residual action form
(:func:`analysis.learning.residual_actions` at the tuned base-stock multiple, PPO's
:data:`~analysis.learning.RESIDUAL_INIT_LOG_STD`), where the zero action is the tuned
heuristic; its results go to ``OUT`` ``_residual`` by default.

The three learners train on the same simulator, :class:`sim.recommendation_env.RecommendationTeamEnv`
(``COPIES`` copies, episodes of ``PERIODS`` periods, the same customers in the same order):

* **MTMA**: an inventory agent and a recommendation agent (separate networks, shared profit),
  the recommendation agent on the slow timescale (:data:`analysis.learning.MTMA_SCHEDULE`:
  its learning rate times ``lr_scale``, one update every ``update_every`` rollouts);
* **single-timescale**: the same two agents, both updated every rollout at the same rate
  (``MultiConfig`` without the schedule: IPPO on the shared profit);
* **single-agent**: one PPO network outputs orders and scores together
  (:class:`~sim.recommendation_env.JointTeamVectorEnv`).

All with :class:`agents.learning.PPOConfig`'s defaults otherwise, the same steps and seeds.
Each run is evaluated greedily on the same evaluation episodes (seeds from ``EVAL_SEED``);
beside them the tuned base-stock policy with uniform recommendation (the project's grid
search, :func:`analysis.recommendation.tune`) on the same episodes. Written: one JSON per
run in ``OUT/runs/`` (skipped when present: an interrupted sweep resumes),
``mtma.csv`` and ``mtma.md`` (final profit per episode: mean over seeds, across-seed
standard deviation, paired differences of MTMA to each other learner over seeds with 95%
CIs) and ``mtma.png`` (learning curves: training profit per period, mean and range over
seeds, per size).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.recommendation import UniformRecommendation
from analysis.files import write_text
from analysis.learning import MTMA_SCHEDULE, RESIDUAL_INIT_LOG_STD, residual_actions
from analysis.recommendation import tune
from analysis.statistics import mean_ci
from scenarios.recommendation import recommendation_problem
from sim.recommendation import RecommendationModel

SIZES = {"small": (10, 100), "large": (50, 1000)}  # (N products, M customers)
METHODS = ("mtma", "single-timescale", "single-agent")
COPIES, PERIODS, ROLLOUT = 16, 50, 50
EVAL_SEED, EVAL_EPISODES = 10**6, 4  # 4 x COPIES = 64 evaluation episodes


def _problem(size: str) -> Any:
    n, m = SIZES[size]
    return recommendation_problem(n_products=n, n_customers=m)


def train(
    size: str, method: str, seed: int, steps: int, actions: Any = None
) -> tuple[Any, list[dict]]:
    """Train one learner (``actions``: the environment's action form, default the paper's);
    returns its greedy policy ``act(obs) -> (orders, scores)`` on ``(copies, size)``
    observations and its learning curve."""
    import torch

    from agents.learning import PPOConfig
    from agents.learning.multi import MultiConfig, MultiPPO
    from agents.learning.ppo import PPO
    from sim.recommendation_env import JointTeamVectorEnv, RecommendationTeamEnv

    team = RecommendationTeamEnv(_problem(size), COPIES, periods=PERIODS, actions=actions)
    base = {"total_steps": steps, "num_envs": COPIES, "rollout_steps": ROLLOUT, "seed": seed}
    if actions is not None:
        base["init_log_std"] = RESIDUAL_INIT_LOG_STD
    curve: list[dict] = []
    start = time.perf_counter()

    def log(_: Any, stats: Any) -> None:
        curve.append({"step": stats.step, "profit_per_period": stats.mean_reward,
                      "seconds": time.perf_counter() - start})  # fmt: skip

    if method == "single-agent":
        learner = PPO(JointTeamVectorEnv(team), PPOConfig(**base)).learn(log)
        n = team.single.problem.n_products

        def act(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            with torch.no_grad():
                a = learner.policy.mode(torch.as_tensor(obs)).numpy()
            return a[:, :n], a[:, n:]

        return act, curve
    schedule = MTMA_SCHEDULE if method == "mtma" else {}
    learner = MultiPPO(team, MultiConfig(**base, **schedule)).learn(log)
    actors = {a: learner.actor(a) for a in team.agents}

    def act(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.as_tensor(obs)
        with torch.no_grad():
            return tuple(actors[a].mode(x).numpy() for a in team.agents)

    return act, curve


def episode_profits(size: str, act: Any, actions: Any = None) -> np.ndarray:
    """Profit of each evaluation episode (``EVAL_EPISODES x COPIES``, seeds
    ``EVAL_SEED, EVAL_SEED + 1, ...``) under ``act``."""
    from sim.recommendation_env import RecommendationTeamEnv

    env = RecommendationTeamEnv(_problem(size), COPIES, periods=PERIODS, actions=actions)
    out = []
    for e in range(EVAL_EPISODES):
        env.reset(seed=EVAL_SEED + e * COPIES)
        total = np.zeros(COPIES)
        while not env.done:
            orders, scores = act(env.state())
            env.step(orders)
            total += env.step(scores)[0]
        out.append(total)
    return np.concatenate(out)


def heuristic_profits(size: str) -> tuple[np.ndarray, float]:
    """Base-stock with uniform recommendation, its multiple tuned by the project's grid
    search on other seeds, on the evaluation episodes; and the tuned multiple."""
    problem = _problem(size)
    best = tune(problem, lambda mix: UniformRecommendation(), mixes=(0.0,), seeds=(0, 1, 2, 3))
    seeds = range(EVAL_SEED, EVAL_SEED + EVAL_EPISODES * COPIES)
    runs = [
        RecommendationModel(problem, seed=s).run(PERIODS, best.inventory, best.recommendation)
        for s in seeds
    ]
    return np.array([run.reward.sum() for run in runs]), best.multiple


def run(
    size: str, method: str, seed: int, steps: int, out: Path, actions: Any = None
) -> dict[str, Any]:
    """One training and its evaluation, kept in ``out/runs/`` (read back when present)."""
    path = out / "runs" / f"{size}-{method}-seed{seed}.json"
    if path.exists():
        return json.loads(path.read_text())
    act, curve = train(size, method, seed, steps, actions)
    profits = episode_profits(size, act, actions)
    result = {"size": size, "method": method, "seed": seed, "steps": steps,
              "minutes": curve[-1]["seconds"] / 60, "episode_profits": profits.tolist(),
              "curve": curve}  # fmt: skip
    write_text(path, json.dumps(result))
    return result


def summary(results: list[dict], heuristics: dict[str, float]) -> pd.DataFrame:
    """Per size and method: final profit per episode (mean over seeds of each seed's mean
    over the evaluation episodes), across-seed standard deviation, each seed's value, and
    MTMA's paired difference to the method over seeds (95% CI)."""
    finals = {(r["size"], r["method"], r["seed"]): np.mean(r["episode_profits"]) for r in results}
    rows = []
    for size in dict.fromkeys(r["size"] for r in results):
        for method in METHODS:
            seeds = sorted(s for (z, m, s) in finals if z == size and m == method)
            if not seeds:
                continue
            values = np.array([finals[size, method, s] for s in seeds])
            row = {"size": size, "method": method, "seeds": len(seeds),
                   "final_profit": values.mean(), "across_seed_std": values.std(ddof=1)
                   if len(values) > 1 else np.nan,
                   "per_seed": " / ".join(f"{v:.1f}" for v in values),
                   "minutes": np.mean([r["minutes"] for r in results
                                       if r["size"] == size and r["method"] == method]),
                   "heuristic": heuristics.get(size, np.nan)}  # fmt: skip
            mtma = [finals.get((size, "mtma", s)) for s in seeds]
            if method != "mtma" and all(v is not None for v in mtma) and len(seeds) > 1:
                diff = mean_ci(np.array(mtma) - values)
                row["mtma_minus_this"], row["ci95"] = diff.mean, diff.half_width
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "| size | learner | final profit per episode (mean over seeds) | across-seed std "
        "| per seed | MTMA minus this (95% CI over seeds) | minutes per run |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        diff = (f"{r['mtma_minus_this']:+.1f} ± {r['ci95']:.1f}"
                if pd.notna(r.get("mtma_minus_this", np.nan)) else "")  # fmt: skip
        n, m = SIZES[r["size"]]
        lines.append(
            f"| N={n}, M={m} | {r['method']} | {r['final_profit']:.1f} | "
            f"{r['across_seed_std']:.1f} | {r['per_seed']} | {diff} | {r['minutes']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: list[dict], table: pd.DataFrame, path: Path) -> None:
    """Learning curves: training profit per period (mean over seeds, band: min to max)."""
    from analysis.plots import plt, save_figure  # the Agg backend, set by analysis.plots

    sizes = list(dict.fromkeys(r["size"] for r in results))
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        for method in METHODS:
            runs = [r for r in results if r["size"] == size and r["method"] == method]
            if not runs:
                continue
            steps = np.array([c["step"] for c in runs[0]["curve"]])
            y = np.array([[c["profit_per_period"] for c in r["curve"]] for r in runs])
            ax.plot(steps, y.mean(axis=0), label=f"{method} ({len(runs)} seeds)")
            ax.fill_between(steps, y.min(axis=0), y.max(axis=0), alpha=0.2)
        heuristic = table.loc[table["size"] == size, "heuristic"].iloc[0] / PERIODS
        ax.axhline(heuristic, color="k", ls="--", lw=1, label="tuned base-stock, uniform rec.")
        n, m = SIZES[size]
        ax.set(title=f"N = {n} products, M = {m} customers",
               xlabel="environment steps (periods x copies)",
               ylabel="training profit per period (money)")  # fmt: skip
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=400_000)
    parser.add_argument("--actions", choices=("paper", "residual"), default="paper")
    parser.add_argument("--out", help="default benchmarks/results/recommendation_mtma[_residual]")
    args = parser.parse_args(argv)
    sizes = args.sizes.split(",")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"--sizes: unknown {unknown}; known: {', '.join(SIZES)}")
    residual = args.actions == "residual"
    out = Path(args.out or "benchmarks/results/recommendation_mtma" + "_residual" * residual)
    seeds = [int(s) for s in args.seeds.split(",")]
    results, heuristics = [], {}
    for size in sizes:
        profits, multiple = heuristic_profits(size)
        heuristics[size] = float(profits.mean())
        print(f"{size}: tuned base-stock multiple {multiple}, profit {profits.mean():.1f}")
        actions = residual_actions(multiple) if residual else None
        for seed in seeds:
            for method in METHODS:
                r = run(size, method, seed, args.steps, out, actions)
                print(f"{size} {method} seed {seed}: {np.mean(r['episode_profits']):.1f} "
                      f"({r['minutes']:.1f} min)", flush=True)  # fmt: skip
                results.append(r)
    table = summary(results, heuristics)
    write_text(out / "mtma.csv", table.to_csv(index=False))
    text = (
        f"Action form: {args.actions}. "
        f"{args.steps:,} steps per run, {COPIES} copies x {ROLLOUT}-period rollouts, episodes "
        f"of {PERIODS} periods; evaluation: {EVAL_EPISODES * COPIES} greedy episodes on the "
        f"same seeds for every run. Tuned base-stock with uniform recommendation on the same "
        f"episodes: "
        + ", ".join(f"{s} {v:.1f}" for s, v in heuristics.items())
        + ".\n\n"
        + markdown(table)
    )
    write_text(out / "mtma.md", text)
    plot(results, table, out / "mtma.png")
    print(text)


if __name__ == "__main__":
    main()
