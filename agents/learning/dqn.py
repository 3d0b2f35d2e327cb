"""Deep Q-learning (Mnih et al. 2015), with Double DQN (van Hasselt et al. 2016) as an
option: compact, in the CleanRL spirit (``cleanrl/dqn.py``), on a gymnasium vector
environment with one discrete order quantity per step (one supplier).

Read top to bottom: the configuration, the replay buffer, the temporal-difference update,
and the :class:`DQN` learner.

The Q-network is the *actor* of PPO's :class:`~.ppo.ActorCritic`: its outputs are read as
Q-values instead of logits, so ``ActorCritic.mode`` (the argmax) is the greedy policy, and
checkpoints, :class:`~.policy.TorchPolicy` and the trainer take a DQN as they take PPO (no
second network format; the critic slot is unused and stays at its initial weights). The
hidden layers are therefore tanh, not CleanRL's ReLU.

Transitions follow PPO's reading of gymnasium 1.x's ``NEXT_STEP`` autoreset: the step
after an episode ended resets that copy and is not a transition (not stored); a truncated
step returned its episode's final observation, so it is stored with that observation and
bootstrapped from it; only termination stops bootstrapping.

Rewards are scaled in the TD target (``DQNConfig.reward_scale``): minus a cost per period
can be tens of money and more, a Q-value about ``1 / (1 - gamma)`` times that, too far
from the network's initial outputs for Adam to reach in a useful number of steps.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .ppo import ActionSpec, ActorCritic, RolloutStats, TrainingLoop, require_counts, resolve_device

__all__ = ["DQN", "LOSSES", "DQNConfig", "ReplayBuffer", "td_update"]

#: Diagnostics of an update (columns of the learning curve).
LOSSES = ("td_loss", "q_mean", "epsilon")


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class DQNConfig:
    """Hyper-parameters of :class:`DQN`.

    Attributes:
        total_steps: environment steps to train for, summed over the parallel copies.
        num_envs: parallel copies in the vector environment; must equal its ``num_envs``.
        rollout_steps: steps of every copy between updates (``num_envs * rollout_steps``
            transitions join the replay buffer per update).
        gradient_steps: minibatch gradient steps per update; with ``minibatch_size`` they
            set how often a transition is replayed.
        minibatch_size: transitions per gradient step, drawn uniformly from the buffer.
        buffer_size: transitions the replay buffer holds (the oldest are overwritten).
        learning_starts: transitions in the buffer before the first gradient step (they
            are collected with ``start_e``'s exploration).
        gamma: discount factor per step.
        lr: Adam learning rate (constant).
        start_e: probability of a uniformly random action at the start.
        end_e: the same after ``exploration_fraction * total_steps`` steps (linear decay).
        exploration_fraction: share of training over which exploration decays.
        target_every: gradient steps between updates of the target network.
        tau: weight of the online network in a target update (1: a copy, as in DQN).
        double: Double DQN: the online network picks the next action, the target network
            values it (less over-estimation of Q-values).
        reward_scale: rewards are multiplied by this in the TD target; about
            ``(1 - gamma) / c`` for a good policy's cost ``c`` per period keeps its
            Q-values near 1. The default fits costs of about 5 per period. Measured on the
            lost-sales stand-in (good cost 5.6, 40k steps): 0.001-0.003 learn (cost 5.7-9);
            1e-4 does not (12-16), nor does a scale fitted to the costs of the random
            first steps (stock piles up under random orders, their costs are 40 times a
            good policy's).
        hidden: widths of the Q-network's hidden layers (tanh).
        max_grad_norm: gradients are rescaled to at most this global L2 norm.
        seed: seeds torch (exploration, minibatches, initial weights) and the
            environment's first ``reset``.
        device: ``"cpu"``, or ``"cuda"`` (an error when no GPU is present).
        threads: torch intra-op threads (1: fastest for networks this small).
    """

    total_steps: int = 500_000
    num_envs: int = 16
    rollout_steps: int = 4
    gradient_steps: int = 2
    minibatch_size: int = 128
    buffer_size: int = 100_000
    learning_starts: int = 5_000
    gamma: float = 0.99
    lr: float = 5e-4
    start_e: float = 1.0
    end_e: float = 0.05
    exploration_fraction: float = 0.5
    target_every: int = 250
    tau: float = 1.0
    double: bool = True
    reward_scale: float = 0.002
    hidden: tuple[int, ...] = (64, 64)
    max_grad_norm: float = 10.0
    seed: int = 0
    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))  # a list from JSON/TOML
        require_counts(
            self,
            (
                "total_steps",
                "num_envs",
                "rollout_steps",
                "gradient_steps",
                "minibatch_size",
                "buffer_size",
                "target_every",
                "threads",
            ),
        )
        if not isinstance(self.learning_starts, int) or self.learning_starts < 0:
            raise ValueError(
                f"DQNConfig.learning_starts: must be an integer >= 0, got {self.learning_starts!r}"
            )
        for name in ("gamma", "start_e", "end_e", "exploration_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"DQNConfig.{name}: must be in [0, 1], got {getattr(self, name)!r}"
                )
        for name in ("lr", "max_grad_norm", "reward_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DQNConfig.{name}: must be > 0, got {getattr(self, name)!r}")
        if not 0.0 < self.tau <= 1.0:
            raise ValueError(f"DQNConfig.tau: must be in (0, 1], got {self.tau!r}")
        if not self.hidden or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden
        ):
            raise ValueError(
                f"DQNConfig.hidden: must be positive layer widths, got {self.hidden!r}"
            )
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"DQNConfig.device: must be 'cpu' or 'cuda', got {self.device!r}")

    @property
    def batch_size(self) -> int:
        """Transitions collected per update (``num_envs * rollout_steps``), as PPO's."""
        return self.num_envs * self.rollout_steps

    @property
    def num_updates(self) -> int:
        """Updates in a full run (``total_steps // batch_size``, at least 1)."""
        return max(1, self.total_steps // self.batch_size)

    def epsilon(self, step: int) -> float:
        """The exploration probability after ``step`` environment steps."""
        span = self.exploration_fraction * self.total_steps
        progress = min(1.0, step / span) if span > 0 else 1.0
        return self.start_e + progress * (self.end_e - self.start_e)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in checkpoints)."""
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


# ---------------------------------------------------------------------- replay buffer
class ReplayBuffer:
    """A ring of the last ``capacity`` transitions, as preallocated tensors."""

    def __init__(self, capacity: int, obs_size: int, device: torch.device) -> None:
        self.capacity, self.size, self._next = capacity, 0, 0
        self.obs = torch.zeros((capacity, obs_size), device=device)
        self.next_obs = torch.zeros((capacity, obs_size), device=device)
        self.actions = torch.zeros(capacity, dtype=torch.long, device=device)
        self.rewards = torch.zeros(capacity, device=device)
        self.terminations = torch.zeros(capacity, device=device)

    def add(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        rewards: torch.Tensor,
        next_obs: torch.Tensor,
        terminations: torch.Tensor,
    ) -> None:
        """Store a batch of transitions (one row each), overwriting the oldest."""
        idx = (self._next + torch.arange(len(obs))) % self.capacity
        self.obs[idx], self.actions[idx], self.rewards[idx] = obs, actions, rewards
        self.next_obs[idx], self.terminations[idx] = next_obs, terminations
        self._next = int(idx[-1] + 1) % self.capacity if len(obs) else self._next
        self.size = min(self.capacity, self.size + len(obs))

    def sample(self, n: int) -> tuple[torch.Tensor, ...]:
        """``n`` transitions drawn uniformly with replacement (torch's global generator):
        observations, actions, raw rewards, next observations, terminations."""
        idx = torch.randint(self.size, (n,))
        return (
            self.obs[idx],
            self.actions[idx],
            self.rewards[idx],
            self.next_obs[idx],
            self.terminations[idx],
        )


# ---------------------------------------------------------------------- update
def td_update(
    q: nn.Module,
    target: nn.Module,
    optimizer: torch.optim.Optimizer,
    sample: tuple[torch.Tensor, ...],
    *,
    gamma: float,
    reward_scale: float,
    double: bool,
    max_grad_norm: float,
) -> tuple[float, float]:
    """One gradient step on the squared TD error of a minibatch.

    The target is ``scale * r + gamma * Q'(s', a')`` (no bootstrap after termination),
    with ``a'`` the target network's argmax (DQN) or the online network's (Double DQN).

    Returns:
        The loss and the mean Q-value of the actions taken.
    """
    obs, actions, rewards, next_obs, terminations = sample
    with torch.no_grad():
        next_q = target(next_obs)
        best = (q(next_obs) if double else next_q).argmax(-1, keepdim=True)
        y = reward_scale * rewards + gamma * (1.0 - terminations) * next_q.gather(1, best)[:, 0]
    taken = q(obs).gather(1, actions[:, None])[:, 0]
    loss = nn.functional.mse_loss(taken, y)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item(), taken.mean().item()


# ---------------------------------------------------------------------- the learner
class DQN(TrainingLoop):
    """DQN on one vector environment: ``learn()`` alternates ``rollout_steps`` steps of
    every copy (epsilon-greedy) and ``gradient_steps`` TD updates from the replay buffer.

    Attributes:
        policy: the network (an :class:`ActorCritic` whose actor gives the Q-values).
        target: the target Q-network (a copy of ``policy.actor``, updated every
            ``config.target_every`` gradient steps).
        obs_rms: always ``None`` (observations are not normalised; the trainer asks).

    Args:
        env: a ``gymnasium.vector.VectorEnv`` in NEXT_STEP autoreset mode with a flat Box
            observation space and a Discrete action space.
        config: the hyper-parameters; ``config.num_envs`` must equal ``env.num_envs``.
    """

    obs_rms = None

    def __init__(self, env: Any, config: DQNConfig) -> None:
        from gymnasium.vector import AutoresetMode

        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode != AutoresetMode.NEXT_STEP:
            raise ValueError(
                f"DQN: the vector env autoresets in {mode!r} mode; only NEXT_STEP is supported"
            )
        if env.num_envs != config.num_envs:
            raise ValueError(
                f"DQNConfig.num_envs: is {config.num_envs}, the environment has {env.num_envs} copies"
            )
        obs_shape = env.single_observation_space.shape
        if obs_shape is None or len(obs_shape) != 1:
            raise ValueError(f"DQN: needs a flat observation vector, got shape {obs_shape}")
        self.spec = ActionSpec.from_space(env.single_action_space)
        if self.spec.kind != "discrete" or not self.spec.scalar:
            raise ValueError(
                f"DQN: needs one discrete action entry (Discrete), got "
                f"{env.single_action_space!r}; use PPO for several suppliers, a reorder point "
                "and level, a price or continuous orders"
            )
        self.env, self.config = env, config
        self.device = resolve_device(config.device)
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.policy = ActorCritic(obs_shape[0], self.spec, config.hidden).to(self.device)
        self.target = copy.deepcopy(self.policy.actor)
        for p in self.target.parameters():
            p.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.policy.actor.parameters(), lr=config.lr)
        self.buffer = ReplayBuffer(config.buffer_size, obs_shape[0], self.device)
        self.updates = 0
        self.step = 0
        self.gradient_steps = 0
        self._obs: np.ndarray | None = None  # set by the first reset

    def reset(self, seed: int | None = None) -> None:
        """Reset the environment and the per-copy episode state (at the start and on resume)."""
        obs, _ = self.env.reset(seed=self.config.seed if seed is None else seed)
        self._obs = np.asarray(obs, dtype=np.float32)
        self._prev_done = np.zeros(self.config.num_envs, dtype=bool)
        self._episode_return = np.zeros(self.config.num_envs)

    def act(self, obs: torch.Tensor, epsilon: float) -> torch.Tensor:
        """Epsilon-greedy action indices, shape ``(n,)`` (torch's global generator)."""
        with torch.no_grad():
            greedy = self.policy.actor(obs).argmax(-1)
        explore = torch.rand(len(obs)) < epsilon
        random = torch.randint(self.spec.nvec[0], (len(obs),))
        return torch.where(explore, random, greedy)

    def collect(self) -> RolloutStats:
        """``rollout_steps`` steps of every copy into the replay buffer."""
        if self._obs is None:
            self.reset()
        cfg = self.config
        env_seconds, rewards_sum, valid_sum, returns = 0.0, 0.0, 0, []
        for _ in range(cfg.rollout_steps):
            obs = torch.as_tensor(self._obs, device=self.device)
            actions = self.act(obs, cfg.epsilon(self.step))
            tic = time.perf_counter()
            next_obs, reward, terminated, truncated, _ = self.env.step(actions.cpu().numpy())
            env_seconds += time.perf_counter() - tic
            reward = np.asarray(reward, dtype=np.float64)
            done = np.logical_or(terminated, truncated)
            valid = ~self._prev_done
            rewards_sum += float(reward[valid].sum())
            valid_sum += int(valid.sum())
            self._episode_return += np.where(valid, reward, 0.0)
            returns += self._episode_return[done].tolist()
            self._episode_return[done] = 0.0
            next_obs = np.asarray(next_obs, dtype=np.float32)
            keep = torch.as_tensor(valid)
            self.buffer.add(
                obs[keep],
                actions[keep],
                torch.as_tensor(reward, dtype=torch.float32)[keep],
                torch.as_tensor(next_obs, device=self.device)[keep],
                torch.as_tensor(terminated, dtype=torch.float32)[keep],
            )
            self._prev_done = done
            self._obs = next_obs
            self.step += cfg.num_envs
        return RolloutStats(
            step=self.step,
            mean_reward=rewards_sum / max(valid_sum, 1),
            mean_return=float(np.mean(returns)) if returns else float("nan"),
            episodes=len(returns),
            env_seconds=env_seconds,
            seconds=0.0,
        )

    def update(self) -> dict[str, float]:
        """``gradient_steps`` TD updates once the buffer holds ``learning_starts``
        transitions (none before: the diagnostics are then NaN)."""
        cfg = self.config
        loss = q_mean = math.nan
        if self.buffer.size >= max(cfg.learning_starts, 1):
            for _ in range(cfg.gradient_steps):
                loss, q_mean = td_update(
                    self.policy.actor,
                    self.target,
                    self.optimizer,
                    self.buffer.sample(cfg.minibatch_size),
                    gamma=cfg.gamma,
                    reward_scale=cfg.reward_scale,
                    double=cfg.double,
                    max_grad_norm=cfg.max_grad_norm,
                )
                self.gradient_steps += 1
                if self.gradient_steps % cfg.target_every == 0:
                    self._update_target()
        self.updates += 1
        return {"td_loss": loss, "q_mean": q_mean, "epsilon": cfg.epsilon(self.step)}

    def _update_target(self) -> None:
        with torch.no_grad():
            for t, p in zip(self.target.parameters(), self.policy.actor.parameters(), strict=True):
                t.lerp_(p, self.config.tau)

    # -------------------------------------------------------------- resume support
    def training_state(self) -> dict[str, Any]:
        """What a resumed run needs besides the network: the target network, optimizer,
        counters and torch's RNG. The replay buffer is left out (it
        would be most of every checkpoint's size): a resumed run refills it with
        ``learning_starts`` transitions before its next gradient step."""
        return {
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "updates": self.updates,
            "step": self.step,
            "gradient_steps": self.gradient_steps,
        }

    def load_training_state(self, state: dict[str, Any], obs_rms: None = None) -> None:
        """Restore :meth:`training_state`; the environment is then reset with the seed
        ``config.seed + step`` (a simulator's state is not saved)."""
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        self.updates, self.step = int(state["updates"]), int(state["step"])
        self.gradient_steps = int(state["gradient_steps"])
        self.reset(seed=self.config.seed + self.step)
