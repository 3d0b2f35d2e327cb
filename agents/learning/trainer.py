"""The training loop for the command line: PPO or DQN with a learning curve, periodic
checkpoints and resumption after an interrupt.

Output folder::

    learning_curve.csv     one row per update (step, wall seconds, rewards, losses; the
                           loss columns are the algorithm's own)
    learning_curve.png     mean reward per period against environment steps
    checkpoints/step_<N>/  policy.pt + policy.json (see checkpoint.py) + training.pt
    checkpoints/latest     the name of the newest checkpoint folder

Running again on the same folder resumes from ``checkpoints/latest``: the network, the
normalisers, the optimizer, torch's random state and the step count are restored; rows of
the learning curve after that checkpoint are dropped (they are trained again). The
simulator's own state is not saved: the environment is reset with the seed
``config.seed + step``, so a resumed run sees fresh episodes (not bit-identical to an
uninterrupted one, the same in distribution). ``total_steps`` may be raised on resume to
train longer; any other change of the configuration is refused.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import torch

from networks.io import atomic_path

from .checkpoint import (
    CHECKPOINTS,
    LATEST,
    TRAINING_PT,
    CheckpointError,
    load_checkpoint,
    read_tensors,
    save_checkpoint,
)
from .dqn import DQN, DQNConfig
from .dqn import LOSSES as DQN_LOSSES
from .ppo import PPO, PPOConfig, RolloutStats

__all__ = ["CURVE_COLUMNS", "train"]

CURVE_CSV, CURVE_PNG = "learning_curve.csv", "learning_curve.png"
LOSSES = ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction")
#: Columns of ``learning_curve.csv`` (PPO's; DQN's end with :data:`.dqn.LOSSES`).
CURVE_COLUMNS = (
    "step",
    "wall_seconds",
    "mean_reward",
    "mean_return",
    "episodes",
    "env_seconds",
    *LOSSES,
)


def train(
    env: Any,
    config: PPOConfig | DQNConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    checkpoint_every: int | None = None,
    resume: bool = True,
) -> PPO | DQN:
    """Train PPO, or DQN when ``config`` is a :class:`~.dqn.DQNConfig`, on ``env`` into
    ``out_dir`` (resuming a run found there).

    Args:
        env: a vector environment (see :class:`~agents.learning.ppo.PPO`); its ``layout``,
            ``mapping`` and ``fingerprint`` attributes, when present, go into checkpoints.
        config: the hyper-parameters (their type chooses the algorithm).
        out_dir: the output folder (created if missing).
        progress: show a tqdm progress bar.
        checkpoint_every: updates between checkpoints (the last update always writes one);
            default: about 20 per run. The learning-curve CSV is written with each
            checkpoint (a resumed run continues from exactly those rows) and the figure
            once, when training stops: drawing it costs about a second, as much as 20
            updates.
        resume: continue from ``out_dir/checkpoints/latest`` when it exists.

    Returns:
        The learner after training.

    Raises:
        CheckpointError: the checkpoint to resume from is unreadable, or was trained with
            another configuration (other than ``total_steps``) or environment.
    """
    from tqdm.auto import tqdm

    if checkpoint_every is None:
        checkpoint_every = max(1, config.num_updates // 20)
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every: must be >= 1, got {checkpoint_every!r}")
    out = Path(out_dir)
    learner = DQN(env, config) if isinstance(config, DQNConfig) else PPO(env, config)
    algo, losses = ("dqn", DQN_LOSSES) if isinstance(learner, DQN) else ("ppo", LOSSES)
    columns = (*CURVE_COLUMNS[: -len(LOSSES)], *losses)
    rows: list[dict[str, Any]] = []
    latest = out / CHECKPOINTS / LATEST
    if resume and latest.is_file():
        _resume(learner, latest)
        rows = [row for row in _read_curve(out / CURVE_CSV) if int(row["step"]) <= learner.step]
    wall_before = float(rows[-1]["wall_seconds"]) if rows else 0.0
    saved = len(rows)  # rows covered by the newest checkpoint
    start = time.perf_counter()
    bar = tqdm(
        total=config.num_updates * config.batch_size,
        initial=learner.step,
        disable=not progress,
        unit="step",
        unit_scale=True,
        desc=algo.upper(),
    )

    def after_update(learner: PPO | DQN, stats: RolloutStats) -> None:
        nonlocal saved
        rows.append(_row(stats, wall_before + time.perf_counter() - start, losses))
        bar.update(config.batch_size)
        bar.set_postfix(reward=f"{stats.mean_reward:.3g}")
        if learner.updates % checkpoint_every == 0 or learner.updates >= config.num_updates:
            _save(learner, out / CHECKPOINTS, algo)
            _write_curve(out / CURVE_CSV, rows, columns)
            saved = len(rows)

    try:
        learner.learn(after_update)
    finally:
        bar.close()
        if saved:
            _plot(out / CURVE_PNG, rows[:saved], algo.upper())
    return learner


# ---------------------------------------------------------------------- checkpoints
def _save(learner: PPO | DQN, folder: Path, algo: str) -> Path:
    env = learner.env
    target = save_checkpoint(
        folder / f"step_{learner.step}",
        learner.policy,
        obs_rms=learner.obs_rms,
        layout=getattr(env, "layout", None),
        mapping=getattr(env, "mapping", None),
        fingerprint=getattr(env, "fingerprint", None),
        config=learner.config.to_dict(),
        step=learner.step,
        algo=algo,
        episodes=getattr(env, "episodes", None),
    )
    with atomic_path(target / TRAINING_PT) as tmp:
        torch.save(learner.training_state(), tmp)
    # Written last: `latest` names a folder only once all its files are in place.
    with atomic_path(folder / LATEST) as tmp:
        tmp.write_text(target.name + "\n", encoding="utf-8")
    return target


def _resume(learner: PPO | DQN, latest: Path) -> None:
    env = learner.env
    ckpt = load_checkpoint(latest, expect_layout=getattr(env, "layout", None))
    saved, now = dict(ckpt.meta["config"]), learner.config.to_dict()
    # a field added since the checkpoint was written had its default then
    defaults = {f.name: f.default for f in dataclasses.fields(learner.config)}
    changed = [k for k in now if k != "total_steps" and saved.get(k, defaults[k]) != now[k]]
    if changed:
        diffs = ", ".join(f"{k}={saved.get(k)!r} (now {now[k]!r})" for k in changed)
        raise CheckpointError(
            f"{ckpt.folder}: trained with another configuration: {diffs}; use another out_dir"
        )
    fingerprint = getattr(env, "fingerprint", None)
    if ckpt.meta["fingerprint"] != fingerprint:
        raise CheckpointError(
            f"{ckpt.folder}: trained on {ckpt.meta['fingerprint']!r}, the environment is {fingerprint!r}; "
            "use another out_dir"
        )
    mapping = getattr(env, "mapping", None)
    if ckpt.mapping is not None and mapping is not None and ckpt.mapping != mapping:
        was, now = ckpt.mapping.to_dict(), mapping.to_dict()
        diffs = ", ".join(f"{k}={was[k]!r} (now {now[k]!r})" for k in now if was[k] != now[k])
        raise CheckpointError(
            f"{ckpt.folder}: trained with another action mapping: {diffs}; use another out_dir"
        )
    episodes = getattr(env, "episodes", None)
    if ckpt.meta.get("episodes") != episodes:
        # a checkpoint written before episodes were recorded did not record them
        was = ckpt.meta.get("episodes", "not recorded")
        raise CheckpointError(
            f"{ckpt.folder}: trained on episodes {was!r}, now {episodes!r}; use another out_dir"
        )
    learner.policy.load_state_dict(ckpt.network.state_dict())
    learner.load_training_state(read_tensors(ckpt.folder / TRAINING_PT), ckpt.obs_rms)


# ---------------------------------------------------------------------- learning curve
def _row(
    stats: RolloutStats, wall_seconds: float, losses: tuple[str, ...] = LOSSES
) -> dict[str, Any]:
    return {
        "step": stats.step,
        "wall_seconds": round(wall_seconds, 3),
        "mean_reward": stats.mean_reward,
        "mean_return": stats.mean_return,
        "episodes": stats.episodes,
        "env_seconds": round(stats.env_seconds, 4),
        **{k: stats.losses.get(k, math.nan) for k in losses},
    }


def _read_curve(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_curve(
    path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...] = CURVE_COLUMNS
) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _plot(path: Path, rows: list[dict[str, Any]], algo: str = "PPO") -> None:
    # A bare Figure (no pyplot): no global state, no GUI backend, safe in any thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = [int(r["step"]) for r in rows]
    returns = [float(r["mean_return"]) for r in rows]
    with_returns = any(math.isfinite(x) for x in returns)
    fig = Figure(figsize=(6, 5.5 if with_returns else 3.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 if with_returns else 1, 1, sharex=True, squeeze=False)[:, 0]
    axes[0].plot(steps, [float(r["mean_reward"]) for r in rows])
    axes[0].set_ylabel("mean reward per period\n(money; minus the cost)")
    axes[0].set_title(f"{algo} learning curve")
    if with_returns:  # episodes are long: most rollouts end none (NaN, not drawn)
        axes[1].plot(steps, returns, marker=".", linestyle="none")
        axes[1].set_ylabel("mean episode return\n(money, whole episode)")
    axes[-1].set_xlabel("environment steps (periods, summed over parallel copies)")
    for ax in axes:
        ax.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
