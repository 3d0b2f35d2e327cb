"""Throughput of the learning environments, measured side by side in one run.

Run: ``python benchmarks/rl_env.py`` (about a minute; ``--quick`` for a smoke run). On the
lost-sales case (one stock point, Poisson(5), L = 1), it measures, one after another in the
same process:

* the control: the event engine running base-stock 13 inside itself (periods per second);
* ``InventoryEnv`` (gymnasium.Env over the event engine), the same decisions taken through
  ``step`` (env-steps per second, and as a fraction of the control), measured in alternation
  with the control (see :func:`interleaved`): base-stock's orders replayed (the
  environment's own cost), and base-stock computed from each observation in the loop (plus
  a learner's cheapest policy);
* ``InventoryVectorEnv`` (the vectorized engine's copy axis) at K = 256, 1,024 and 4,096
  copies (env-steps per second summed over copies);
* gym-invmgmt's serial environment (``GymInvMgmt/Serial-v0``) with random actions, when
  ``pip install gym-invmgmt`` has installed it (a peer: per-step speed only; its model is a
  3-stage chain);
* the fraction of PPO's wall time spent stepping the vector environment (a short run).

Speeds are ratios to the control measured in the same run: absolute figures drift between
hosts and with the load of the machine.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import platform
import time
from typing import Any

import numpy as np

from scenarios import resolve
from sim.env import InventoryEnv, InventoryVectorEnv


def per_second(work, seconds: float) -> float:
    """Units of ``work()`` per second, the best of three timed windows."""
    best = 0.0
    for _ in range(3):
        gc.collect()
        start, done = time.perf_counter(), 0
        while (elapsed := time.perf_counter() - start) < seconds:
            done += work()
        best = max(best, done / elapsed)
    return best


def interleaved(loops: dict[str, Any], window: int, rounds: int) -> dict[str, float]:
    """Units per second of each loop (``loop()`` does ``window`` units): the loops run one
    after the other, ``rounds`` times round, and each keeps its best window. Alternating
    short windows gives every loop the same share of a loaded machine's quiet moments, so
    that the ratios hold even when the absolute speeds do not."""
    gc.collect()
    best = dict.fromkeys(loops, math.inf)
    clock = time.perf_counter
    for _ in range(rounds):
        for name, loop in loops.items():
            start = clock()
            loop()
            best[name] = min(best[name], clock() - start)
    return {name: window / seconds for name, seconds in best.items()}


def base_stock_order(obs: np.ndarray, scale: float) -> int:
    """Base-stock 13's order from an observation (its inventory position, entry 2)."""
    return int(min(20, max(0, round(13 - obs.item(2) * scale))))


def single_env_against_control(scenario: Any, window: int, rounds: int) -> None:
    """``InventoryEnv.step`` against the engine's own period, interleaved: the env replays
    the orders base-stock 13 gives on its own run of the same seed (so both walk the same
    trajectory), and separately computes them from each observation."""
    model = scenario.build(seed=1, record=False)
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=10**9)
    scale = env.layout.scale
    obs, _ = env.reset(seed=1)
    orders = []
    for _ in range(window * (rounds + 1)):
        orders.append(base_stock_order(obs, scale))
        obs = env.step(orders[-1])[0]
    replay = InventoryEnv.from_scenario(scenario, "stage1", periods=10**9)
    replay.reset(seed=1)
    obs, _ = env.reset(seed=1)
    replayed = iter(orders)

    def control() -> None:
        model.run(window)

    def replaying() -> None:
        step = replay.step
        for order in itertools.islice(replayed, window):
            step(order)

    def deciding() -> None:
        nonlocal obs
        step = env.step
        for _ in range(window):
            obs = step(base_stock_order(obs, scale))[0]

    for loop in (control, replaying, deciding):  # warm up
        loop()
    rates = interleaved(
        {"control": control, "replay": replaying, "decide": deciding}, window, rounds
    )
    control_rate = rates["control"]
    print(
        f"control: event engine, base-stock inside     {control_rate:12,.0f} periods/s  "
        f"(interleaved, best of {rounds} windows of {window})"
    )
    for name, label in (
        ("replay", "InventoryEnv.step, orders replayed"),
        ("decide", "InventoryEnv.step + base-stock from obs"),
    ):
        rate = rates[name]
        print(f"{label:<45}{rate:12,.0f} steps/s  ({rate / control_rate:.2f}x control)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short windows (a smoke run)")
    args = parser.parse_args()
    seconds = 0.3 if args.quick else 2.0
    scenario = resolve("lost_sales")
    print(
        f"machine: {platform.processor() or platform.machine()} x {os.cpu_count()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    single_env_against_control(scenario, window=200, rounds=30 if args.quick else 300)

    model = scenario.build(seed=1, record=False)
    control = per_second(lambda: (model.run(1000), 1000)[1], seconds)
    print(f"control, measured alone (for the rows below) {control:12,.0f} periods/s")

    for k in (256, 1024, 4096):
        venv = InventoryVectorEnv.from_scenario(scenario, "stage1", k, periods=10**9)
        vobs, _ = venv.reset(seed=1)
        scale = venv.layout.scale
        for _ in range(200):  # the customers' demand blocks reach their full size
            vobs, *_ = venv.step(np.zeros(k, dtype=np.int64))

        def vector(venv=venv, k=k, scale=scale) -> int:
            nonlocal vobs
            for _ in range(20):
                action = np.clip(np.rint(13 - vobs[:, 2] * scale), 0, 20).astype(np.int64)
                vobs, *_ = venv.step(action)
            return 20 * k

        rate = per_second(vector, seconds)
        print(
            f"InventoryVectorEnv, K = {k:5,}                {rate:12,.0f} steps/s  ({rate / control:.1f}x control)"
        )

    try:
        import gym_invmgmt  # noqa: F401
        import gymnasium as gym
    except ImportError:
        print("gym-invmgmt: not installed (pip install gym-invmgmt to compare)")
    else:
        peer = gym.make("GymInvMgmt/Serial-v0")
        peer.reset(seed=0)

        def peer_steps() -> int:
            for _ in range(100):
                *_, terminated, truncated, _ = peer.step(peer.action_space.sample())
                if terminated or truncated:
                    peer.reset()
            return 100

        rate = per_second(peer_steps, seconds)
        print(
            f"gym-invmgmt Serial-v0 (3 stages), random     {rate:12,.0f} steps/s  ({rate / control:.2f}x control)"
        )

    try:
        from agents.learning import PPO, PPOConfig
    except ImportError:
        print("PPO: torch not installed (pip install -e .[rl])")
        return
    venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 256, periods=500)
    learner = PPO(venv, PPOConfig(total_steps=256 * 64 * (2 if args.quick else 8), num_envs=256))
    env_seconds = 0.0
    start = time.perf_counter()

    def after(_learner, stats) -> None:
        nonlocal env_seconds
        env_seconds += stats.env_seconds

    learner.learn(after)
    wall = time.perf_counter() - start
    steps = learner.step
    print(
        f"PPO (K = 256, 64x64 MLP, 1 thread): {steps / wall:,.0f} steps/s, "
        f"{env_seconds / wall:.1%} of wall time in the environment"
    )


if __name__ == "__main__":
    main()
