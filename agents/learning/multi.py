"""IPPO, MAPPO and HAPPO: several learners in one supply chain, on PPO's own core.

Read top to bottom: the configuration, the networks (an :class:`~.ppo.ActorCritic` whose
critic may read another input than its actor), one row of a batched turn-based rollout,
the three updates, and the :class:`MultiPPO` learner. The rollout buffer,
:func:`~.ppo.compute_gae` and :func:`~.ppo.ppo_update` are PPO's, unchanged.

* **IPPO** (de Witt et al. 2020): every agent is a PPO learner on its local observation;
  with ``share=True`` one network serves all, its input extended by a one-hot agent id.
* **MAPPO** (Yu et al. 2022): as IPPO, but the critic reads the global state
  (:meth:`sim.multi.TeamVectorEnv.state`; plus the agent id when shared): centralised
  training, decentralised execution.
* **HAPPO** (Kuba et al. 2022): heterogeneous agents (no sharing), each with a critic on
  the global state; the actors are updated one after another in a random order, agent
  ``i``'s clipped surrogate weighted per sample by ``M``, the product of the new-to-old
  probability ratios of the agents updated before it. Since ``M > 0``,
  ``min(r M A, clip(r) M A) = M min(r A, clip(r) A)``: HAPPO's objective is PPO's
  surrogate on the advantages ``M A``, so :func:`~.ppo.ppo_update` does it (advantages
  standardised over the whole batch first, as HARL does, not per minibatch).

Rollouts run on :class:`sim.multi.TeamVectorEnv` (the vectorized engine's copy axis, the
exact turn-based information structure): one row per period and copy for every agent.
Each agent's value of its turn in the period after a rollout bootstraps the rollout's
last row; that period is played before the update and opens the next rollout (its
actions were drawn by the policy before the update, whose probabilities the buffer keeps,
so PPO's ratio stays exact). An episode's end adds a row that holds each agent's final
observation (for bootstrapping) and is masked out of the update, as PPO's autoreset step.

A trained actor is a single-agent policy: :meth:`MultiPPO.actor` gives a plain
:class:`~.ppo.ActorCritic` on the agent's local layout (a shared network's agent id
folded into its first layer's bias), which checkpoints and ``TorchPolicy`` take as PPO's.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .checkpoint import CheckpointError
from .ppo import (
    ActionSpec,
    ActorCritic,
    Batch,
    PPOConfig,
    RolloutBuffer,
    RolloutStats,
    RunningMeanStd,
    TrainingLoop,
    _mlp,
    compute_gae,
    ppo_update,
    resolve_device,
)

__all__ = [
    "ALGOS",
    "MultiConfig",
    "MultiPPO",
    "greedy",
    "heuristic_start",
    "team_cost",
    "train_team",
]

#: The multi-agent PPO variants.
ALGOS = ("ippo", "mappo", "happo")


@dataclass(frozen=True)
class MultiConfig(PPOConfig):
    """:class:`~.ppo.PPOConfig` (one step is one period of one copy, all agents' decisions
    in it) and:

    Attributes:
        algo: ``"ippo"``, ``"mappo"`` or ``"happo"``.
        share: one network for all agents, with a one-hot agent id input (IPPO, MAPPO;
            the agents need equal observation layouts and action spaces).
        lr_scale: per agent, a factor on ``lr`` (agents not named: 1).
        update_every: per agent, the rollouts from one of its updates to the next (agents
            not named: 1, every rollout; at least one agent updates every rollout). An
            agent updates on the rollout just collected, so its samples are on-policy.
        start_actions: per agent, the constant action its untrained policy is centred on
            (:meth:`~.ppo.ActorCritic.start_at`; agents not named start uniform): with an
            order-up-to action form, a tuned heuristic's parameters through
            :meth:`sim.spaces.ActionMapping.action_of`, so that the team starts as the
            tuned heuristic team and learns to make its levels depend on the state.
        critic_warmup: updates at the start in which only the critics learn (the actors
            keep their start): advantages from an untrained critic are noise, and a team
            started at a good policy drifts away from it on them.

    ``lr_scale`` and ``update_every`` make the follow-up paper's multi-timescale learner
    (MTMA): the same agents and updates, on a schedule in which a slow agent
    (recommendation) takes smaller and rarer steps than a fast one (inventory). They need
    one network per agent (``share=False``).
    """

    algo: str = "ippo"
    share: bool = False
    lr_scale: Mapping[str, float] | None = None
    update_every: Mapping[str, int] | None = None
    start_actions: Mapping[str, Sequence[float]] | None = None
    critic_warmup: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.critic_warmup, bool) or not (
            isinstance(self.critic_warmup, int) and self.critic_warmup >= 0
        ):
            raise ValueError(
                f"MultiConfig.critic_warmup: must be an integer >= 0, got {self.critic_warmup!r}"
            )
        if self.start_actions is not None:  # lists, as the checkpoint's JSON keeps them
            starts = {str(a): [float(x) for x in v] for a, v in self.start_actions.items()}
            object.__setattr__(self, "start_actions", starts)
        if self.algo not in ALGOS:
            raise ValueError(f"MultiConfig.algo: must be one of {ALGOS}, got {self.algo!r}")
        if self.share and self.algo == "happo":
            raise ValueError("MultiConfig.share: HAPPO's agents are heterogeneous; use share=False")
        if self.normalize_obs:
            raise ValueError("MultiConfig.normalize_obs: not supported by the multi-agent learners")
        for name in ("lr_scale", "update_every", "start_actions"):
            if self.share and getattr(self, name) is not None:
                raise ValueError(f"MultiConfig.{name}: needs one network per agent (share=False)")
        for name, table, whole in (("lr_scale", self.lr_scale, False),
                                   ("update_every", self.update_every, True)):  # fmt: skip
            for agent, value in (table or {}).items():
                ok = (type(value) is int and value >= 1) if whole else (
                    isinstance(value, int | float) and 0 < value < math.inf
                )  # fmt: skip
                if isinstance(value, bool) or not ok:
                    kind = "a whole number >= 1" if whole else "a number > 0"
                    raise ValueError(
                        f"MultiConfig.{name}[{agent!r}]: must be {kind}, got {value!r}"
                    )

    @property
    def title(self) -> str:
        """What trains, for progress bars and figures: ``"MTMA"`` on a schedule, else the
        algorithm."""
        return "MTMA" if self.lr_scale or self.update_every else self.algo.upper()

    @property
    def centralised(self) -> bool:
        """The critic reads the global state."""
        return self.algo != "ippo"


# ---------------------------------------------------------------------- networks
class _Columns(nn.Module):
    """Columns ``[lo, hi)`` of the input: an actor and a critic reading one stored vector."""

    def __init__(self, lo: int, hi: int) -> None:
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., self.lo : self.hi]


def _network(
    actor_in: int,
    critic_in: int,
    spec: ActionSpec,
    hidden: tuple[int, ...],
    init_log_std: float = 0.0,
):
    """An :class:`ActorCritic` on ``actor_in`` inputs; with ``critic_in``, its input is the
    actor's followed by the critic's own, and each MLP reads its columns."""
    if not critic_in:
        return ActorCritic(actor_in, spec, hidden, init_log_std=init_log_std)
    net = ActorCritic(actor_in + critic_in, spec, hidden, init_log_std=init_log_std)
    n_out = sum(spec.nvec) if spec.kind == "discrete" else spec.dim
    net.actor = nn.Sequential(_Columns(0, actor_in), _mlp(actor_in, hidden, n_out, 0.01, True))
    net.critic = nn.Sequential(
        _Columns(actor_in, actor_in + critic_in), _mlp(critic_in, hidden, 1, 1.0, True)
    )
    return net


# ---------------------------------------------------------------------- rollout rows
@dataclass
class _Row:
    """One period of every copy for every agent: inputs, actions, log-probabilities,
    values, raw rewards ``(agents, copies)``, and whether the period ended the episode
    (``valid`` False: the row only holds the final observations)."""

    x: list[torch.Tensor]
    actions: list[torch.Tensor]
    logprobs: list[torch.Tensor]
    values: list[torch.Tensor]
    rewards: np.ndarray
    done: bool
    valid: bool


class MultiPPO(TrainingLoop):
    """IPPO, MAPPO or HAPPO on a :class:`sim.multi.TeamVectorEnv`, or on any team
    environment with its interface (e.g. :class:`sim.recommendation_env.RecommendationTeamEnv`):
    ``num_envs``, ``agents``, ``observation_spaces`` and ``action_spaces`` per agent,
    ``state_size`` and ``state()``, ``global_state`` (False), and the turn-based
    ``reset(seed)`` / ``done`` / ``agent`` / ``observe(agent)`` / ``step(actions)``.

    Args:
        env: the team environment (built without ``global_state``: the learner asks for
            the state itself when its critic is centralised).
        config: the hyper-parameters; ``config.num_envs`` must equal ``env.num_envs``.
    """

    def __init__(self, env: Any, config: MultiConfig) -> None:
        if env.num_envs != config.num_envs:
            raise ValueError(
                f"MultiConfig.num_envs: is {config.num_envs}, the environment has "
                f"{env.num_envs} copies"
            )
        if env.global_state:
            raise ValueError(
                "env: build it with global_state=False; the learner reads the state itself"
            )
        self.env, self.config = env, config
        self.agents = list(env.agents)
        self.device = resolve_device(config.device)
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.specs = {a: ActionSpec.from_space(env.action_spaces[a]) for a in self.agents}
        for name in ("lr_scale", "update_every", "start_actions"):
            unknown = sorted(set(getattr(config, name) or ()) - set(self.agents))
            if unknown:
                raise ValueError(f"MultiConfig.{name}: no agents {unknown}; agents: {self.agents}")
        self._update_every = {a: (config.update_every or {}).get(a, 1) for a in self.agents}
        if min(self._update_every.values()) > 1:
            raise ValueError(
                "MultiConfig.update_every: at least one agent must update every rollout"
            )
        local = {a: env.observation_spaces[a].shape[0] for a in self.agents}
        ids = len(self.agents) if config.share else 0
        critic = (env.state_size + ids) if config.centralised else 0
        if config.share:
            if len(set(local.values())) > 1 or len(set(self.specs.values())) > 1:
                raise ValueError(
                    "MultiConfig.share: the agents' observation layouts or action spaces "
                    "differ; train separate networks (share=False)"
                )
            first = self.agents[0]
            net = _network(
                local[first] + ids, critic, self.specs[first], config.hidden, config.init_log_std
            )
            self.nets = dict.fromkeys(self.agents, net.to(self.device))
        else:
            self.nets = {
                a: _network(local[a], critic, self.specs[a], config.hidden, config.init_log_std).to(
                    self.device
                )
                for a in self.agents
            }
        for agent, action in (config.start_actions or {}).items():
            try:
                self.nets[agent].start_at(action)
            except ValueError as exc:
                raise ValueError(f"MultiConfig.start_actions[{agent!r}]: {exc}") from None
        scale = config.lr_scale or {}
        # each network's starting rate (a shared network: the agents' factors are all 1)
        self._lr = {id(self.nets[a]): config.lr * scale.get(a, 1.0) for a in self.agents}
        self.optimizers = {
            id(net): torch.optim.Adam(net.parameters(), lr=self._lr[id(net)], eps=1e-5)
            for net in self.nets.values()
        }
        self._eye = torch.eye(len(self.agents), device=self.device)
        self.buffers = {
            a: RolloutBuffer(
                config.rollout_steps,
                config.num_envs,
                self.nets[a].obs_size,
                self.specs[a].dim,
                self.device,
            )
            for a in self.agents
        }
        self.ret_rms = [RunningMeanStd.zeros() for _ in self.agents]
        self._discounted = np.zeros((len(self.agents), config.num_envs))
        self._episode_return = np.zeros(config.num_envs)
        self._carry: _Row | None = None
        self.updates = 0
        self.step = 0

    # -------------------------------------------------------------- acting
    def _input(self, agent: str) -> torch.Tensor:
        """The stored vector of ``agent`` now: its local observation (+ its id when shared),
        then the critic's global state (+ id) when centralised."""
        env, k = self.env, self.agents.index(agent)
        parts = [torch.as_tensor(env.observe(agent), device=self.device)]
        eye = self._eye[k].expand(self.config.num_envs, -1)
        if self.config.share:
            parts.append(eye)
        if self.config.centralised:
            parts.append(torch.as_tensor(env.state(), device=self.device))
            if self.config.share:
                parts.append(eye)
        return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]

    def _play_row(self) -> _Row:
        """Play one period of every copy (or, after an episode ended, hold the final
        observations and start new episodes)."""
        env, n = self.env, len(self.agents)
        slots: dict[str, tuple] = {}
        if env.done:
            for a in self.agents:
                x = self._input(a)
                with torch.no_grad():
                    value = self.nets[a].value(x)
                zero = torch.zeros(self.config.num_envs, device=self.device)
                slots[a] = (x, torch.zeros(len(x), self.specs[a].dim), zero, value)
            env.reset()
            rewards = np.zeros((n, self.config.num_envs))
            valid = False
        else:
            rewards = None
            while rewards is None:
                a = env.agent
                if a in slots:
                    raise RuntimeError(f"agent {a!r} decided twice in one period")
                x = self._input(a)
                with torch.no_grad():
                    action, logp, value = self.nets[a].sample(x)
                rewards = env.step(self.specs[a].to_env(action.cpu().numpy()))
                slots[a] = (x, action, logp, value)
            if len(slots) != n:
                raise RuntimeError(f"agents {sorted(set(self.agents) - set(slots))} never decided")
            valid = True
        x, actions, logprobs, values = (
            list(z) for z in zip(*(slots[a] for a in self.agents), strict=True)
        )
        return _Row(x, actions, logprobs, values, rewards, env.done and valid, valid)

    # -------------------------------------------------------------- rollout
    def collect(self) -> RolloutStats:
        """One rollout of ``rollout_steps`` periods of every copy into the buffers."""
        cfg, n = self.config, len(self.agents)
        tic = time.perf_counter()
        if self._carry is None:  # the start, or a resumed run (fresh episodes)
            self.env.reset(seed=cfg.seed + self.step)
            self._carry = self._play_row()
        rows = [self._carry] + [self._play_row() for _ in range(cfg.rollout_steps - 1)]
        self._carry = self._play_row()
        env_seconds = time.perf_counter() - tic
        rewards_sum, valid_rows, returns = 0.0, 0, []
        memory = cfg.reward_memory * cfg.batch_size if cfg.reward_memory else math.inf
        ones, zeros = np.ones(cfg.num_envs), np.zeros(cfg.num_envs)
        for t, row in enumerate(rows):
            if row.valid:
                team = row.rewards.mean(axis=0)  # per copy, the agents' mean
                rewards_sum += float(team.sum())
                valid_rows += cfg.num_envs
                self._episode_return += team
                if row.done:
                    returns += self._episode_return.tolist()
                    self._episode_return[:] = 0.0
            scaled = row.rewards.copy()
            if cfg.normalize_reward and row.valid:
                self._discounted = self._discounted * cfg.gamma + row.rewards
                for k in range(n):
                    self.ret_rms[k].update(self._discounted[k], memory)
                    scaled[k] = row.rewards[k] / np.sqrt(self.ret_rms[k].var + 1e-8)
                if row.done:
                    self._discounted[:] = 0.0
            done = ones if row.done else zeros
            for k, a in enumerate(self.agents):
                self.buffers[a].add(
                    t,
                    row.x[k],
                    row.actions[k],
                    row.logprobs[k],
                    row.values[k],
                    scaled[k],
                    zeros,
                    done,
                    ones if row.valid else zeros,
                )
        self.step += cfg.batch_size
        return RolloutStats(
            step=self.step,
            mean_reward=rewards_sum / max(valid_rows, 1),
            mean_return=float(np.mean(returns)) if returns else float("nan"),
            episodes=len(returns),
            env_seconds=env_seconds,
            seconds=0.0,
        )

    # -------------------------------------------------------------- update
    def _batches(self) -> dict[str, Batch]:
        cfg, batches = self.config, {}
        for k, a in enumerate(self.agents):
            buf = self.buffers[a]
            advantages, returns = compute_gae(
                buf.rewards,
                buf.values,
                buf.terminations,
                buf.dones,
                self._carry.values[k],
                cfg.gamma,
                cfg.gae_lambda,
            )
            batches[a] = buf.batch(advantages, returns)
        return batches

    def update(self) -> dict[str, float]:
        """GAE for every agent, then the algorithm's update of the agents due by
        ``update_every`` (after annealing the learning rates). Returns the diagnostics of
        the last update made."""
        cfg = self.config
        if cfg.anneal_lr:
            for key, optimizer in self.optimizers.items():
                for group in optimizer.param_groups:
                    group["lr"] = self._lr[key] * max(0.0, 1.0 - self.updates / cfg.num_updates)
        batches = self._batches()
        due = [a for a in self.agents if self.updates % self._update_every[a] == 0]
        actor = self.updates >= cfg.critic_warmup
        if cfg.share:  # one network: one update on every agent's samples
            net = self.nets[self.agents[0]]
            joined = Batch(*(torch.cat(parts) for parts in zip(*batches.values(), strict=True)))
            stats = ppo_update(net, self.optimizers[id(net)], joined, cfg, actor=actor)
        elif cfg.algo == "happo" and actor:
            stats = self._happo(batches, due)
        else:
            for a in due:
                net = self.nets[a]
                stats = ppo_update(net, self.optimizers[id(net)], batches[a], cfg, actor=actor)
        self.updates += 1
        return stats

    def _happo(self, batches: dict[str, Batch], due: list[str]) -> dict[str, float]:
        """Sequential updates of the agents ``due`` in a random order (torch's generator),
        each agent's advantages weighted by the ratios of those updated before it."""
        cfg = dataclasses.replace(self.config, normalize_advantages=False)
        order = torch.randperm(len(due)).tolist()
        factor = None
        for k in order:
            a = due[k]
            batch, net = batches[a], self.nets[a]
            adv = batch.advantages
            if self.config.normalize_advantages and len(adv) > 1:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            factor = torch.ones_like(adv) if factor is None else factor
            stats = ppo_update(
                net, self.optimizers[id(net)], batch._replace(advantages=factor * adv), cfg
            )
            with torch.no_grad():
                logp, _, _ = net.evaluate(batch.obs, batch.actions)
                factor = factor * (logp - batch.logprobs).exp()
        return stats

    # -------------------------------------------------------------- resume support
    def training_state(self) -> dict[str, Any]:
        """What a resumed run needs: every agent's whole network (a centralised critic and
        a shared id input included, which the deployable actors leave out), optimizers,
        reward normalisers, torch's RNG and the counters (``torch.save``-able)."""
        nets = {id(net): a for a, net in reversed(self.nets.items())}  # first agent per net
        return {
            "nets": {a: self.nets[a].state_dict() for a in nets.values()},
            "optimizers": {a: self.optimizers[k].state_dict() for k, a in nets.items()},
            "ret_rms": [rms.to_dict() for rms in self.ret_rms],
            "torch_rng": torch.get_rng_state(),
            "updates": self.updates,
            "step": self.step,
        }

    def load_training_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`training_state`; the next rollout starts fresh episodes with the
        seed ``config.seed + step`` (the simulator's state is not saved)."""
        for a, weights in state["nets"].items():
            self.nets[a].load_state_dict(weights)
            self.optimizers[id(self.nets[a])].load_state_dict(state["optimizers"][a])
        self.ret_rms = [RunningMeanStd.from_dict(d) for d in state["ret_rms"]]
        torch.set_rng_state(state["torch_rng"])
        self.updates, self.step = int(state["updates"]), int(state["step"])
        self._discounted[:] = 0.0
        self._episode_return[:] = 0.0
        self._carry = None

    # -------------------------------------------------------------- deployment
    def actor(self, agent: str) -> ActorCritic:
        """``agent``'s trained actor as a plain :class:`ActorCritic` on its local layout
        (a shared network's one-hot id folded into the first layer's bias; a centralised
        critic, which needs the global state, is not carried over: the critic is fresh)."""
        net, spec = self.nets[agent], self.specs[agent]
        size = self.env.observation_spaces[agent].shape[0]
        plain = ActorCritic(size, spec, self.config.hidden)
        mlp = net.actor[1] if isinstance(net.actor[0], _Columns) else net.actor
        state = {k: v.clone() for k, v in mlp.state_dict().items()}
        if self.config.share:
            w = state["0.weight"]
            state["0.bias"] = state["0.bias"] + w[:, size + self.agents.index(agent)]
            state["0.weight"] = w[:, :size].contiguous()
        plain.actor.load_state_dict(state)
        if not self.config.centralised and not self.config.share:
            plain.critic.load_state_dict(net.critic.state_dict())
        return plain.eval()


def team_cost(
    env: Any,
    act: Callable[[str, np.ndarray], np.ndarray],
    *,
    seed: int,
    episodes: int = 1,
    warmup: int = 0,
    per_copy: bool = False,
) -> Any:
    """The network's mean cost per period when the agents act by ``act(agent, obs)``
    (observations ``(num_envs, size)`` to actions) over ``episodes`` episodes of every copy
    (seeds ``seed``, ...), the first ``warmup`` periods of each left out: the measure on
    which teams are compared. ``per_copy``: one mean per copy instead (shape
    ``(num_envs,)``), for paired confidence intervals on common random numbers. Needs an
    environment whose rewards are the team's (``alpha=0``, ``reward="cost"``)."""
    if env.team.alpha != 0.0 or env.team.reward != "cost":
        raise ValueError("team_cost: build the environment with alpha=0 and reward='cost'")
    total, periods = np.zeros(env.num_envs), 0
    for e in range(episodes):
        env.reset(seed=seed + e * env.num_envs)
        period = 0
        while not env.done:
            agent = env.agent
            rewards = env.step(act(agent, env.observe(agent)))
            if rewards is not None:
                if period >= warmup:
                    total -= rewards[0]
                    periods += 1
                period += 1
    return total / periods if per_copy else float(total.sum()) / (periods * env.num_envs)


def heuristic_start(env: Any, modules: Mapping[str, Any]) -> dict[str, list[float]]:
    """Each agent's constant action in ``env`` that plays its heuristic in ``modules``
    (agent name -> decision module), for :attr:`MultiConfig.start_actions`: a
    :class:`~agents.BaseStock` level for an agent choosing its ``"position"``, an
    :class:`~agents.EchelonBaseStock` level for ``"echelon_position"``, an
    :class:`~agents.SS` policy's ``s`` and ``S`` for ``"reorder"``, a
    :class:`~agents.TailoredBaseSurge` policy's regular quantity and expedited level for
    ``"base_surge"`` (:class:`sim.spaces.ActionMapping`; the expedited level in the
    mapping's ``expedited`` entry, its faster supplier's), rounded to the grid of a
    discrete mapping (whole units unless its ``step`` is finer: a tuned quantity of 10.5
    starts at 10 on whole units, at 10.5 on half units).

    Raises:
        ValueError: naming the agent whose action form has no constant action for its
            module, or whose values fall outside its mapping's range.
    """
    from agents import SS, BaseStock, EchelonBaseStock, TailoredBaseSurge

    starts = {}
    for agent, module in modules.items():
        m = env.mappings[agent]
        if m.target == "base_surge" and isinstance(module, TailoredBaseSurge):
            values = [module.regular_quantity] * 2
            values[m.expedited] = module.expedited_level
        elif (
            m.target == "position" and type(module) is BaseStock and module.level is not None
        ) or (m.target == "echelon_position" and isinstance(module, EchelonBaseStock)):
            values = [module.level]
        elif m.target == "reorder" and type(module) is SS:  # the same trigger, x <= s
            values = [module.s, module.S]
        else:
            raise ValueError(
                f"start of {agent!r}: its action form {m.target!r} has no constant action "
                f"that plays {module!r}"
            )
        if m.kind == "discrete":  # the nearest point of the mapping's grid
            values = [m.low + m.step * float(np.rint((v - m.low) / m.step)) for v in values]
        try:
            starts[agent] = m.action_of(values).tolist()
        except ValueError as exc:
            raise ValueError(f"start of {agent!r}: {exc}") from None
    return starts


def greedy(learner: MultiPPO) -> Callable[[str, np.ndarray], np.ndarray]:
    """The trained agents' most likely actions, for :func:`team_cost`."""
    actors = {a: learner.actor(a) for a in learner.agents}

    def act(agent: str, obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            action = actors[agent].mode(torch.as_tensor(obs))
        return learner.specs[agent].to_env(action.numpy())

    return act


def train_team(
    env: Any,
    config: MultiConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    checkpoint_every: int | None = None,
    resume: bool = True,
) -> MultiPPO:
    """Train a team into ``out_dir``: ``learning_curve.csv``/``.png`` (the single-agent
    trainer's columns; rewards are the agents' mean), for every agent a trainer folder
    ``<agent>/checkpoints/step_<N>/`` + ``latest`` holding its actor as a single-agent
    checkpoint (``checkpoint:OUT/<agent>`` in a scenario or on the command line), and
    ``checkpoints/step_<N>/training.pt`` + ``latest`` with the whole team's training state.

    Running again on the same folder resumes from ``checkpoints/latest`` as the
    single-agent trainer does (:mod:`.trainer`): networks, optimizers, reward normalisers,
    torch's random state and the step count restored, later curve rows dropped, fresh
    episodes; ``total_steps`` may be raised, any other change is refused.

    Raises:
        CheckpointError: the state to resume from is unreadable, or was trained with
            another configuration (other than ``total_steps``), learners or environment.
    """
    from tqdm.auto import tqdm

    from networks.io import atomic_path

    from .checkpoint import CHECKPOINTS, LATEST, TRAINING_PT, save_checkpoint
    from .trainer import CURVE_CSV, CURVE_PNG, _plot, _read_curve, _row, _write_curve

    out = Path(out_dir)
    every = checkpoint_every or max(1, config.num_updates // 20)
    learner = MultiPPO(env, config)
    rows: list[dict[str, Any]] = []
    latest = out / CHECKPOINTS / LATEST
    if resume and latest.is_file():
        _resume_team(learner, latest.parent / latest.read_text(encoding="utf-8").strip())
        rows = [row for row in _read_curve(out / CURVE_CSV) if int(row["step"]) <= learner.step]
    wall_before = float(rows[-1]["wall_seconds"]) if rows else 0.0
    saved = len(rows)
    start = time.perf_counter()
    bar = tqdm(
        total=config.num_updates * config.batch_size,
        initial=learner.step,
        disable=not progress,
        unit="step",
    )
    bar.set_description(config.title)

    def save() -> None:
        nonlocal saved
        for agent in learner.agents:
            folder = out / agent / CHECKPOINTS
            target = save_checkpoint(
                folder / f"step_{learner.step}",
                learner.actor(agent),
                obs_rms=None,
                layout=env.layouts[agent],
                mapping=env.mappings[agent],
                fingerprint=env.fingerprints[agent],
                config=config.to_dict(),
                step=learner.step,
                algo=config.algo,
            )
            with atomic_path(folder / LATEST) as tmp:
                tmp.write_text(target.name + "\n", encoding="utf-8")
        team = out / CHECKPOINTS / f"step_{learner.step}"
        team.mkdir(parents=True, exist_ok=True)
        state = {
            **learner.training_state(),
            "config": config.to_dict(),
            "fingerprints": {a: env.fingerprints[a] for a in learner.agents},
        }
        with atomic_path(team / TRAINING_PT) as tmp:
            torch.save(state, tmp)
        _write_curve(out / CURVE_CSV, rows)
        with atomic_path(latest) as tmp:  # last: names a step only once all is in place
            tmp.write_text(team.name + "\n", encoding="utf-8")
        saved = len(rows)

    def after_update(learner: MultiPPO, stats: RolloutStats) -> None:
        rows.append(_row(stats, wall_before + time.perf_counter() - start))
        bar.update(config.batch_size)
        bar.set_postfix(reward=f"{stats.mean_reward:.3g}")
        if learner.updates % every == 0 or learner.updates >= config.num_updates:
            save()

    try:
        learner.learn(after_update)
    finally:
        bar.close()
        if saved:
            _plot(out / CURVE_PNG, rows[:saved], config.title)
    return learner


def _resume_team(learner: MultiPPO, folder: Path) -> None:
    """Restore a team run from its ``training.pt``, refusing another configuration or
    environment (one-line CheckpointError)."""
    from .checkpoint import TRAINING_PT, read_tensors

    env, config = learner.env, learner.config
    state = read_tensors(folder / TRAINING_PT)
    before, now = dict(state["config"]), config.to_dict()
    changed = [k for k in now if k != "total_steps" and before.get(k) != now[k]]
    if changed:
        diffs = ", ".join(f"{k}={before.get(k)!r} (now {now[k]!r})" for k in changed)
        raise CheckpointError(
            f"{folder}: trained with another configuration: {diffs}; use another out_dir"
        )
    fingerprints = {a: env.fingerprints[a] for a in learner.agents}
    if state["fingerprints"] != fingerprints:
        raise CheckpointError(
            f"{folder}: trained with learners {sorted(state['fingerprints'])} on another "
            "environment or with other learners; use another out_dir"
        )
    learner.load_training_state(state)
