"""Multi-agent PPO of Ray RLlib on the beer game, through RLlib's PettingZoo wrapper.

For users who outgrow one machine: RLlib spreads sampling over a Ray cluster
(``--env-runners N``, ``--address`` of a running cluster). On one machine the project's
own learners (``supplysim train --algo ippo|mappo|happo``) are simpler to run.

The environment is :class:`sim.multi.SupplyChainParallelEnv` (simultaneous moves: every
agent sees its stock point as the last period closed), wrapped by RLlib's
``ParallelPettingZooEnv``. Each stage has its own policy (an RLModule; the policy
mapping sends agent ``retailer`` to module ``retailer``). After training, the greedy team
plays the scenario's horizon on ``--eval-seeds`` seeds against the scenario's own
heuristic team (Sterman's players in ``beer_game``), which runs in the engine on the same
seeds (``analysis.tune.evaluate``); both costs are the whole network's cost per period.

Install (the pinned CPU torch first; RLlib pins its own gymnasium, so use a separate
environment from the one with the ``rl``/``marl`` extras if you want gymnasium's newest)::

    pip install torch==2.13.0 && pip install -e ".[rllib]"
    python examples/rllib_beer_game.py --iterations 5
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import ray
import torch
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.tune.registry import register_env

from analysis.experiment import replication_seed
from analysis.tune import evaluate
from scenarios import Scenario, resolve
from sim.multi import SupplyChainParallelEnv

ENV_NAME = "supplysim_parallel"
BEER = ("retailer", "wholesaler", "distributor", "factory")


def make_env(config: Mapping[str, Any]) -> ParallelPettingZooEnv:
    """The registered environment: ``config`` holds ``scenario``, ``learners``,
    ``periods`` and ``alpha`` (RLlib passes ``env_config`` here on every env runner)."""
    scenario = resolve(config["scenario"])
    parallel = SupplyChainParallelEnv.from_scenario(
        scenario,
        list(config["learners"]),
        periods=int(config["periods"]),
        alpha=float(config["alpha"]),
    )
    return ParallelPettingZooEnv(parallel)


def ppo_config(
    env_config: Mapping[str, Any],
    agents: Sequence[str],
    *,
    env_runners: int = 0,
    batch: int = 2_080,
    minibatch: int = 260,
    epochs: int = 5,
    lr: float = 3e-4,
    seed: int = 0,
) -> PPOConfig:
    """RLlib's multi-agent PPO (new API stack): one RLModule per agent, named as it.

    Args:
        env_config: what :func:`make_env` takes.
        agents: the agent ids (the learners' node names).
        env_runners: remote sampling workers (0: sample in the driver process).
        batch: env steps per training iteration (a multiple of the episode length keeps
            whole episodes in a batch).
        minibatch: SGD minibatch size (agent steps).
        epochs: passes over each batch.
        lr: Adam learning rate.
        seed: RLlib's seed (its env runners' resets and the networks' initial weights).
    """
    return (
        PPOConfig()
        .environment(ENV_NAME, env_config=dict(env_config))
        .framework("torch")
        .env_runners(num_env_runners=env_runners, num_envs_per_env_runner=1)
        .learners(num_learners=0)
        .multi_agent(
            policies=set(agents),
            policy_mapping_fn=lambda agent_id, episode, **kwargs: agent_id,
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(rl_module_specs={a: RLModuleSpec() for a in agents}),
            model_config={"fcnet_hiddens": [64, 64], "vf_share_layers": False},
        )
        .training(
            train_batch_size_per_learner=batch,
            minibatch_size=minibatch,
            num_epochs=epochs,
            lr=lr,
            gamma=0.99,
        )
        .debugging(seed=seed)
    )


def episode_returns(result: Mapping[str, Any]) -> tuple[float, dict[str, float]]:
    """The mean episode return (summed over agents) and each agent's, from one
    ``algo.train()`` result (``nan`` before the first episode ends)."""
    runners = result.get("env_runners", {})
    team = float(runners.get("episode_return_mean", math.nan))
    per_agent = {str(a): float(v) for a, v in runners.get("agent_episode_returns_mean", {}).items()}
    return team, per_agent


def greedy_actions(algo: Any, observations: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Each agent's most likely action under its trained module (no exploration)."""
    actions = {}
    for agent, obs in observations.items():
        module = algo.get_module(agent)
        with torch.no_grad():
            out = module.forward_inference({"obs": torch.as_tensor(obs[None], dtype=torch.float32)})
        actions[agent] = int(torch.argmax(out["action_dist_inputs"][0]).item())
    return actions


def team_cost(algo: Any, env_config: Mapping[str, Any], seeds: Sequence[int]) -> np.ndarray:
    """The trained team's network cost per period on each seed, played greedily through
    the Parallel environment (with ``alpha = 0`` every agent's reward is the network's
    negative cost: learners and heuristic teammates alike)."""
    scenario = resolve(env_config["scenario"])
    periods = int(env_config["periods"])
    env = SupplyChainParallelEnv.from_scenario(
        scenario, list(env_config["learners"]), periods=periods, alpha=0.0
    )
    first = env.possible_agents[0]
    costs = np.empty(len(seeds))
    for k, seed in enumerate(seeds):
        obs, _ = env.reset(seed=seed)
        total = 0.0
        while env.agents:
            obs, rewards, _, _, _ = env.step(greedy_actions(algo, obs))
            total += rewards[first]
        costs[k] = -total / periods
    return costs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="beer_game", help="built-in name or TOML path")
    parser.add_argument("--learners", default=",".join(BEER), help="nodes that learn")
    parser.add_argument("--iterations", type=int, default=20, help="PPO training iterations")
    parser.add_argument("--periods", type=int, help="episode length (default: the scenario's)")
    parser.add_argument(
        "--alpha", type=float, default=0.0, help="reward: A * own + (1 - A) * team (0: team)"
    )
    parser.add_argument("--env-runners", type=int, default=0, help="remote sampling workers")
    parser.add_argument("--eval-seeds", type=int, default=5, help="seeds of the comparison")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--address", help="a running Ray cluster (default: a local one)")
    args = parser.parse_args(argv)

    scenario: Scenario = resolve(args.scenario)
    periods = args.periods or scenario.periods
    learners = [n.strip() for n in args.learners.split(",") if n.strip()]
    env_config = {
        "scenario": args.scenario,
        "learners": learners,
        "periods": periods,
        "alpha": args.alpha,
    }
    agents = make_env(env_config).par_env.possible_agents  # the engine's order
    register_env(ENV_NAME, make_env)
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=max(2, args.env_runners + 1), include_dashboard=False)
    try:
        batch = periods * max(1, 2_000 // periods)
        config = ppo_config(
            env_config, agents, env_runners=args.env_runners, batch=batch, seed=args.seed
        )
        algo = config.build_algo()
        print(f"{'iteration':>9} {'env steps':>10} {'episode return':>15}  per agent")
        for i in range(1, args.iterations + 1):
            result = algo.train()
            team, per_agent = episode_returns(result)
            steps = result.get("num_env_steps_sampled_lifetime", 0)
            agents_text = " ".join(f"{a}={per_agent[a]:.1f}" for a in agents if a in per_agent)
            print(f"{i:>9} {int(steps):>10} {team:>15.1f}  {agents_text}")
        seeds = [replication_seed(args.seed, r) for r in range(args.eval_seeds)]
        trained = team_cost(algo, env_config, seeds)
        heuristic = evaluate(
            scenario, {}, replications=args.eval_seeds, periods=periods, warmup=0, seed=args.seed
        )
        diff = trained - heuristic
        print(
            f"network cost per period on {len(seeds)} seeds: RLlib team {trained.mean():.2f}, "
            f"the scenario's heuristic team {heuristic.mean():.2f} "
            f"(paired difference {diff.mean():+.2f})"
        )
        algo.stop()
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
