"""Proximal Policy Optimization (Schulman et al. 2017), compact, in the CleanRL spirit.

Read top to bottom: the configuration, the running normalisers, the actor-critic network,
the rollout buffer, generalized advantage estimation, the clipped update, and the
:class:`PPO` learner that ties them together on a ``gymnasium.vector.VectorEnv``.

The buffer, :func:`compute_gae` and :func:`ppo_update` are the reusable parts: a
multi-agent learner (IPPO, MAPPO, HAPPO) feeds them its own rollouts.

Vector environments must autoreset in gymnasium 1.x's default ``NEXT_STEP`` mode: after a
sub-environment's episode ends, the following ``step`` resets it, ignores its action and
returns reward 0. That step is not a transition of any episode: the rollout marks it
invalid, :func:`compute_gae` cuts the advantage chain before it, and the update leaves it
out. A nice consequence of this mode: the observation returned by the step that truncated
an episode *is* its final observation, so a truncated episode is bootstrapped exactly from
the value of its final state (no approximation, no ``infos["final_obs"]``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, Self

import numpy as np
import torch
from torch import nn
from torch.distributions import Normal

__all__ = [
    "PPO",
    "ActionSpec",
    "ActorCritic",
    "Batch",
    "PPOConfig",
    "RolloutBuffer",
    "RunningMeanStd",
    "TrainingLoop",
    "compute_gae",
    "ppo_update",
    "require_counts",
    "resolve_device",
    "train",
]


def require_counts(config: Any, names: Sequence[str]) -> None:
    """Refuse a field of ``config`` among ``names`` that is not an integer >= 1 (bools
    too), naming it as ``ConfigClass.field``."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"{type(config).__name__}.{name}: must be an integer >= 1, got {value!r}"
            )


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class PPOConfig:
    """Hyper-parameters of :class:`PPO` (CleanRL's ``ppo.py``, with the batch and learning
    rate measured best on Zipkin's lost-sales case).

    What decides how well PPO learns an inventory policy in a fixed budget of environment
    steps is the number of updates: on p = 9, L = 1 with 2M steps, 64 copies x 32 steps
    per rollout (977 updates) reached 0.4% above the optimum, 256 x 16 (488 updates)
    1.0%, and 256 x 64 with 3M steps (183 updates, lr 5e-4) 7%. Smaller batches cost more
    torch calls per step, so they are slower per step; they are still faster to a given
    cost.

    Attributes:
        total_steps: environment steps to train for, summed over the parallel copies
            (one step of one copy is one period of one simulated supply chain).
        num_envs: parallel copies in the vector environment; must equal its ``num_envs``.
        rollout_steps: steps of every copy per rollout; one update per rollout of
            ``num_envs * rollout_steps`` transitions.
        gamma: discount factor per step.
        gae_lambda: lambda of generalized advantage estimation.
        lr: Adam learning rate at the start; annealed linearly to 0 at ``total_steps``
            when ``anneal_lr``.
        anneal_lr: anneal the learning rate linearly to 0.
        update_epochs: passes over a rollout per update.
        minibatches: minibatches per pass.
        clip: PPO's clipping range of the probability ratio.
        ent_coef: weight of the entropy bonus (keeps a discrete policy exploring).
        vf_coef: weight of the value loss.
        max_grad_norm: gradients are rescaled to at most this global L2 norm.
        hidden: widths of the hidden layers of the actor and of the critic (tanh).
        init_log_std: the Gaussian's log standard deviation before training (continuous
            actions; CleanRL's and SB3's 0 by default). Below 0 when the zero action is
            already a good policy (a residual action form such as
            :class:`sim.recommendation_env.RecommendationActions`' ``cover`` and
            ``targeting``), so that early exploration does not swamp it: on the §VI firm
            (300k steps) -0.5 gained 2,788 per episode over base stock with uniform
            recommendation, 0 only 1,246.
        normalize_obs: standardise observations by their running mean and standard
            deviation (the statistics are saved with the policy and frozen at use). Off
            by default: the supply-chain layouts already divide by the mean demand
            (``ObservationLayout.scale``), and statistics gathered while an untrained
            policy lets stock pile up squeeze the states a good policy visits into a
            sliver (measured on the lost-sales stand-in after 150k steps: cost 18 per
            period with it, 6 without).
        normalize_reward: divide rewards by the running standard deviation of the
            discounted return (keeps value targets near 1 whatever the cost units).
        reward_memory: rollouts the reward normaliser remembers (0: all of them, as in
            CleanRL and SB3). An untrained policy's costs can be tens of times the trained
            one's (stock piles up); remembered for ever, they shrink later rewards until
            the value targets are noise.
        normalize_advantages: standardise advantages within each minibatch.
        seed: seeds torch and the environment's first ``reset``.
        device: ``"cpu"``, or ``"cuda"`` (an error when no GPU is present).
        threads: torch intra-op threads; 1 is about 10x faster than 2 for networks this
            small on a 2-core machine (sets the process-wide ``torch.set_num_threads``).
    """

    total_steps: int = 1_000_000
    num_envs: int = 64
    rollout_steps: int = 32
    gamma: float = 0.99
    gae_lambda: float = 0.95
    lr: float = 1e-3
    anneal_lr: bool = True
    update_epochs: int = 4
    minibatches: int = 4
    clip: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: tuple[int, ...] = (64, 64)
    init_log_std: float = 0.0
    normalize_obs: bool = False
    normalize_reward: bool = True
    reward_memory: int = 16
    normalize_advantages: bool = True
    seed: int = 0
    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))  # a list from JSON/TOML
        require_counts(
            self,
            ("total_steps", "num_envs", "rollout_steps", "update_epochs", "minibatches", "threads"),
        )
        for name in ("gamma", "gae_lambda"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"PPOConfig.{name}: must be in [0, 1], got {getattr(self, name)!r}"
                )
        if not math.isfinite(self.init_log_std):
            raise ValueError(f"PPOConfig.init_log_std: must be finite, got {self.init_log_std!r}")
        for name in ("lr", "clip", "max_grad_norm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"PPOConfig.{name}: must be > 0, got {getattr(self, name)!r}")
        if not self.hidden or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden
        ):
            raise ValueError(
                f"PPOConfig.hidden: must be positive layer widths, got {self.hidden!r}"
            )
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"PPOConfig.device: must be 'cpu' or 'cuda', got {self.device!r}")

    @property
    def batch_size(self) -> int:
        """Transitions per rollout (``num_envs * rollout_steps``)."""
        return self.num_envs * self.rollout_steps

    @property
    def num_updates(self) -> int:
        """Updates in a full run (``total_steps // batch_size``, at least 1)."""
        return max(1, self.total_steps // self.batch_size)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stored in checkpoints)."""
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data


def resolve_device(name: str) -> torch.device:
    """The torch device for ``PPOConfig.device``; an error when CUDA is asked and absent."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("PPOConfig.device: 'cuda' asked but torch sees no GPU; use 'cpu'")
    return torch.device(name)


# ---------------------------------------------------------------------- normalisers
@dataclass
class RunningMeanStd:
    """Running mean and variance of a stream of arrays (Chan et al.'s parallel update).

    Attributes:
        mean: running mean per entry.
        var: running (population) variance per entry.
        count: observations seen (starts at a tiny value, as in SB3, to avoid 0/0).
    """

    mean: np.ndarray
    var: np.ndarray
    count: float = 1e-4

    @classmethod
    def zeros(cls, shape: tuple[int, ...] = ()) -> RunningMeanStd:
        return cls(np.zeros(shape, dtype=np.float64), np.ones(shape, dtype=np.float64))

    def update(self, x: np.ndarray, memory: float = math.inf) -> None:
        """Fold in a batch ``x`` of shape ``(n, *shape)``, weighing what came before as at
        most ``memory`` observations (older ones fade away)."""
        if len(x) == 0:
            return
        self.count = min(self.count, memory)
        batch_mean, batch_var, n = x.mean(axis=0), x.var(axis=0), len(x)
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        m2 = self.var * self.count + batch_var * n + delta**2 * self.count * n / total
        self.var = m2 / total
        self.count = total

    def normalize(self, x: np.ndarray, clip: float = 10.0) -> np.ndarray:
        """``(x - mean) / std``, clipped to ``[-clip, clip]``, as float32."""
        z = (x - self.mean) / np.sqrt(self.var + 1e-8)
        return np.clip(z, -clip, clip).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "var": self.var.tolist(), "count": self.count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunningMeanStd:
        return cls(
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["var"], dtype=np.float64),
            float(data["count"]),
        )


# ---------------------------------------------------------------------- network
@dataclass(frozen=True)
class ActionSpec:
    """The shape of a learner's action, from a gymnasium action space.

    Attributes:
        kind: ``"discrete"`` (one categorical per entry of ``nvec``) or ``"continuous"``
            (a Gaussian per dimension, sent to the environment clipped to ``[-1, 1]``).
        nvec: number of choices per categorical (discrete).
        dim: action dimensions (the length of ``nvec``, or of the Box).
        scalar: the environment wants one integer per copy (``Discrete``), not a vector.
    """

    kind: str
    nvec: tuple[int, ...] = ()
    dim: int = 1
    scalar: bool = False

    @classmethod
    def from_space(cls, space: Any) -> ActionSpec:
        """The spec of a ``Discrete``, ``MultiDiscrete`` or ``Box(-1, 1)`` single action space."""
        from gymnasium import spaces

        if isinstance(space, spaces.Discrete):
            return cls("discrete", (int(space.n),), 1, scalar=True)
        if isinstance(space, spaces.MultiDiscrete) and space.nvec.ndim == 1:
            return cls("discrete", tuple(int(n) for n in space.nvec), len(space.nvec))
        if isinstance(space, spaces.Box) and len(space.shape) == 1:
            return cls("continuous", (), int(space.shape[0]))
        raise ValueError(
            f"PPO: unsupported action space {space!r}; use Discrete, MultiDiscrete or a 1-D Box"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "nvec": list(self.nvec), "dim": self.dim, "scalar": self.scalar}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionSpec:
        return cls(data["kind"], tuple(data["nvec"]), int(data["dim"]), bool(data["scalar"]))

    def to_env(self, action: np.ndarray) -> np.ndarray:
        """Actions of shape ``(n, dim)`` as the vector environment takes them."""
        if self.kind == "continuous":
            return np.clip(action, -1.0, 1.0)
        action = action.astype(np.int64)
        return action[:, 0] if self.scalar else action


def _layer(n_in: int, n_out: int, std: float, initialize: bool) -> nn.Linear:
    """A linear layer with CleanRL's orthogonal initialisation (zero bias); without
    ``initialize``, left as allocated (weights about to be loaded)."""
    if not initialize:
        return nn.utils.skip_init(nn.Linear, n_in, n_out)
    layer = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, 0.0)
    return layer


def _mlp(
    n_in: int, hidden: Sequence[int], n_out: int, out_std: float, initialize: bool
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [_layer(n_in, width, np.sqrt(2), initialize), nn.Tanh()]
        n_in = width
    layers.append(_layer(n_in, n_out, out_std, initialize))
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs; categorical heads or a Gaussian with a
    state-independent log standard deviation.

    Actions are float tensors of shape ``(n, spec.dim)`` (category indices for discrete).
    """

    def __init__(
        self,
        obs_size: int,
        spec: ActionSpec,
        hidden: Sequence[int] = (64, 64),
        *,
        initialize: bool = True,
        init_log_std: float = 0.0,
    ) -> None:
        super().__init__()
        self.obs_size, self.spec, self.hidden = obs_size, spec, tuple(hidden)
        n_out = sum(spec.nvec) if spec.kind == "discrete" else spec.dim
        # Small initial actor outputs: a near-uniform first policy (CleanRL). Loading skips
        # the initialisation: its QR decomposition is wasted work there.
        self.actor = _mlp(obs_size, hidden, n_out, 0.01, initialize)
        self.critic = _mlp(obs_size, hidden, 1, 1.0, initialize)
        if spec.kind == "continuous":
            self.log_std = nn.Parameter(torch.full((spec.dim,), float(init_log_std)))

    def start_at(self, action: Sequence[float], spread: float = 1.0) -> None:
        """Make the untrained policy's most likely action ``action`` (one entry per action
        dimension, as the environment takes it), e.g. a tuned heuristic's constant action,
        so that training starts from that policy rather than from a uniform one. The actor's
        output layer keeps its small initial weights (near-equal outputs in every state)
        and its bias is set: per categorical, logits ``-|j - a| / spread`` (probability
        about 0.46 on ``a`` and 0.17 on each neighbour with ``spread`` 1); for a Gaussian,
        the mean ``a`` (its width stays ``init_log_std``'s).

        Raises:
            ValueError: the wrong number of entries, a category outside its head, or
                ``spread`` not > 0.
        """
        a = [float(x) for x in action]
        if len(a) != self.spec.dim:
            raise ValueError(f"start action {action!r}: expected {self.spec.dim} entries")
        if not spread > 0:
            raise ValueError(f"start action spread: must be > 0, got {spread!r}")
        last = [m for m in self.actor.modules() if isinstance(m, nn.Linear)][-1]
        with torch.no_grad():
            if self.spec.kind == "continuous":
                last.bias.copy_(torch.tensor(a).clamp(-1.0, 1.0))
                return
            logits = []
            for x, n in zip(a, self.spec.nvec, strict=True):
                if not (x.is_integer() and 0 <= x < n):
                    raise ValueError(f"start action {action!r}: {x:g} outside 0..{n - 1}")
                logits.append(-(torch.arange(n) - x).abs() / spread)
            last.bias.copy_(torch.cat(logits))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        """State values, shape ``(n,)``."""
        return self.critic(obs).squeeze(-1)

    def _normal(self, out: torch.Tensor) -> Normal:
        return Normal(out, self.log_std.exp().expand_as(out), validate_args=False)

    def _log_probs(self, out: torch.Tensor) -> list[torch.Tensor]:
        """Normalised log-probabilities of each categorical head. Written out rather than
        through ``torch.distributions.Categorical``: building those objects cost more than
        the network's forward pass at these sizes."""
        nvec = self.spec.nvec
        if len(set(nvec)) == 1:  # heads of one size: one call for all of them
            return list(torch.log_softmax(out.unflatten(-1, (len(nvec), nvec[0])), -1).unbind(-2))
        return [torch.log_softmax(logits, -1) for logits in torch.split(out, nvec, dim=-1)]

    def _log_prob_entropy(
        self, out: torch.Tensor, action: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.spec.kind == "continuous":
            dist = self._normal(out)
            return dist.log_prob(action).sum(-1), dist.entropy().sum(-1)
        heads = self._log_probs(out)
        index = action.long()
        logp = sum(h.gather(-1, index[:, i : i + 1]).squeeze(-1) for i, h in enumerate(heads))
        entropy = sum(-(h.exp() * h).sum(-1) for h in heads)
        return logp, entropy

    def sample(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A sampled action, its log-probability and the state value."""
        out = self.actor(obs)
        if self.spec.kind == "continuous":
            action = self._normal(out).sample()
        else:
            action = torch.stack(
                [torch.multinomial(h.exp(), 1).squeeze(-1) for h in self._log_probs(out)], -1
            ).float()
        logp, _ = self._log_prob_entropy(out, action)
        return action, logp, self.value(obs)

    def evaluate(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Log-probability and entropy of ``action``, and the state value (for the update)."""
        logp, entropy = self._log_prob_entropy(self.actor(obs), action)
        return logp, entropy, self.value(obs)

    def mode(self, obs: torch.Tensor) -> torch.Tensor:
        """The most likely action (argmax per categorical; the Gaussian's mean, clipped)."""
        out = self.actor(obs)
        if self.spec.kind == "continuous":
            return out.clamp(-1.0, 1.0)
        return torch.stack(
            [x.argmax(-1) for x in torch.split(out, self.spec.nvec, dim=-1)], -1
        ).float()


# ---------------------------------------------------------------------- rollout buffer
class Batch(NamedTuple):
    """Flat training samples (valid transitions only), one row each."""

    obs: torch.Tensor
    actions: torch.Tensor
    logprobs: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


class RolloutBuffer:
    """``steps x envs`` transitions of one rollout, as preallocated tensors.

    ``valid[t, i]`` is False on the step that autoresets copy ``i`` (NEXT_STEP mode);
    ``dones`` is termination or truncation, ``terminations`` alone (no bootstrap).
    """

    def __init__(
        self, steps: int, envs: int, obs_size: int, action_dim: int, device: torch.device
    ) -> None:
        def zeros(*shape: int) -> torch.Tensor:
            return torch.zeros((steps, envs, *shape), device=device)

        self.obs = zeros(obs_size)
        self.actions = zeros(action_dim)
        self.logprobs, self.values, self.rewards = zeros(), zeros(), zeros()
        self.terminations, self.dones, self.valid = zeros(), zeros(), zeros()

    def add(
        self,
        t: int,
        obs: torch.Tensor,
        action: torch.Tensor,
        logprob: torch.Tensor,
        value: torch.Tensor,
        reward: np.ndarray,
        terminated: np.ndarray,
        done: np.ndarray,
        valid: np.ndarray,
    ) -> None:
        """Store step ``t`` of every copy (numpy arrays are converted to float tensors)."""
        self.obs[t], self.actions[t], self.logprobs[t], self.values[t] = obs, action, logprob, value
        for store, x in (
            (self.rewards, reward),
            (self.terminations, terminated),
            (self.dones, done),
            (self.valid, valid),
        ):
            store[t] = torch.as_tensor(x, dtype=torch.float32, device=store.device)

    def batch(self, advantages: torch.Tensor, returns: torch.Tensor) -> Batch:
        """The valid transitions, flattened, with their advantages and returns."""
        keep = self.valid.reshape(-1).bool()

        def flat(x: torch.Tensor) -> torch.Tensor:
            return x.reshape(-1, *x.shape[2:])[keep]

        return Batch(
            flat(self.obs), flat(self.actions), flat(self.logprobs), flat(advantages), flat(returns)
        )


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    terminations: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalized advantage estimation over a ``(steps, envs)`` rollout.

    Step ``t`` bootstraps from the value of the observation it returned (``values[t + 1]``,
    or ``last_value`` after the last step) unless it terminated; the chain of advantages
    stops after a step that ended an episode (terminated or truncated), because the next
    step is an autoreset, not a transition (its advantage is meaningless and masked out).

    Returns:
        ``(advantages, returns)``, each ``(steps, envs)``; returns = advantages + values.
    """
    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(last_value)
    for t in reversed(range(steps)):
        next_value = last_value if t == steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * next_value * (1.0 - terminations[t]) - values[t]
        running = delta + gamma * gae_lambda * (1.0 - dones[t]) * running
        advantages[t] = running
    return advantages, advantages + values


# ---------------------------------------------------------------------- update
def ppo_update(
    policy: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    config: PPOConfig,
    *,
    actor: bool = True,
) -> dict[str, float]:
    """PPO's clipped-surrogate update: ``update_epochs`` passes of ``minibatches`` shuffled
    minibatches over ``batch`` (shuffled with torch's global generator); without ``actor``,
    the critic's alone (the value loss; the policy stays as it is).

    Returns:
        Diagnostics of the last minibatch: ``policy_loss``, ``value_loss``, ``entropy``,
        ``approx_kl`` (Schulman's k3 estimator) and ``clip_fraction``.
    """
    n = len(batch.obs)
    size = max(1, n // config.minibatches)
    stats: dict[str, float] = {}
    for _ in range(config.update_epochs):
        order = torch.randperm(n, device=batch.obs.device)
        for start in range(0, n - size + 1, size):
            idx = order[start : start + size]
            logp, entropy, value = policy.evaluate(batch.obs[idx], batch.actions[idx])
            log_ratio = logp - batch.logprobs[idx]
            ratio = log_ratio.exp()
            adv = batch.advantages[idx]
            if config.normalize_advantages and len(idx) > 1:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = torch.max(
                -adv * ratio, -adv * ratio.clamp(1 - config.clip, 1 + config.clip)
            ).mean()
            value_loss = 0.5 * ((value - batch.returns[idx]) ** 2).mean()
            loss = config.vf_coef * value_loss
            if actor:
                loss = loss + policy_loss - config.ent_coef * entropy.mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()
        with torch.no_grad():
            stats = {
                "policy_loss": policy_loss.item(),
                "value_loss": value_loss.item(),
                "entropy": entropy.mean().item(),
                "approx_kl": ((ratio - 1) - log_ratio).mean().item(),
                "clip_fraction": ((ratio - 1).abs() > config.clip).float().mean().item(),
            }
    return stats


# ---------------------------------------------------------------------- the learner
@dataclass
class RolloutStats:
    """What one rollout saw, in the environment's own units (not normalised).

    Attributes:
        step: environment steps done after this rollout's update (all copies).
        mean_reward: mean reward per step over the rollout's valid transitions
            (per period: minus the cost per period for the supply chain environments).
        mean_return: mean return of the episodes that ended in this rollout (NaN if none).
        episodes: episodes that ended in this rollout.
        env_seconds: wall seconds spent inside ``env.step``.
        seconds: wall seconds of the rollout and the update.
        losses: :func:`ppo_update`'s diagnostics.
    """

    step: int
    mean_reward: float
    mean_return: float
    episodes: int
    env_seconds: float
    seconds: float
    losses: dict[str, float] = field(default_factory=dict)


class TrainingLoop:
    """The loop every learner here shares: ``collect()`` a rollout, ``update()`` from it,
    ``config.num_updates`` times (``updates`` counts them)."""

    config: Any
    updates: int

    def collect(self) -> RolloutStats:
        raise NotImplementedError

    def update(self) -> dict[str, float]:
        raise NotImplementedError

    def iterate(self) -> RolloutStats:
        """One rollout and one update."""
        tic = time.perf_counter()
        stats = self.collect()
        stats.losses = self.update()
        stats.seconds = time.perf_counter() - tic
        return stats

    def learn(self, callback: Callable[[Self, RolloutStats], Any] | None = None) -> Self:
        """Train until ``config.num_updates`` updates; ``callback(self, stats)`` after each
        (return ``False`` from it to stop early)."""
        while self.updates < self.config.num_updates:
            stats = self.iterate()
            if callback is not None and callback(self, stats) is False:
                break
        return self


class PPO(TrainingLoop):
    """PPO on one vector environment: ``learn()`` alternates rollouts and updates.

    Args:
        env: a ``gymnasium.vector.VectorEnv`` in NEXT_STEP autoreset mode with a flat Box
            observation space and a Discrete, MultiDiscrete or Box(-1, 1) action space.
        config: the hyper-parameters; ``config.num_envs`` must equal ``env.num_envs``.
    """

    def __init__(self, env: Any, config: PPOConfig) -> None:
        from gymnasium.vector import AutoresetMode

        mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode != AutoresetMode.NEXT_STEP:
            raise ValueError(
                f"PPO: the vector env autoresets in {mode!r} mode; only NEXT_STEP is supported"
            )
        if env.num_envs != config.num_envs:
            raise ValueError(
                f"PPOConfig.num_envs: is {config.num_envs}, the environment has {env.num_envs} copies"
            )
        obs_shape = env.single_observation_space.shape
        if obs_shape is None or len(obs_shape) != 1:
            raise ValueError(f"PPO: needs a flat observation vector, got shape {obs_shape}")
        self.env, self.config = env, config
        self.device = resolve_device(config.device)
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.spec = ActionSpec.from_space(env.single_action_space)
        self.policy = ActorCritic(
            obs_shape[0], self.spec, config.hidden, init_log_std=config.init_log_std
        ).to(self.device)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=config.lr, eps=1e-5)
        self.obs_rms = RunningMeanStd.zeros(obs_shape) if config.normalize_obs else None
        self.ret_rms = RunningMeanStd.zeros() if config.normalize_reward else None
        self.buffer = RolloutBuffer(
            config.rollout_steps, config.num_envs, obs_shape[0], self.spec.dim, self.device
        )
        self.updates = 0
        self.step = 0
        self._obs: np.ndarray | None = None  # set by the first reset

    def reset(self, seed: int | None = None) -> None:
        """Reset the environment and the per-copy rollout state (at the start and on resume)."""
        obs, _ = self.env.reset(seed=self.config.seed if seed is None else seed)
        n = self.config.num_envs
        self._obs = np.asarray(obs, dtype=np.float64)
        self._prev_done = np.zeros(n, dtype=bool)
        self._discounted = np.zeros(n)  # running discounted return, for reward scaling
        self._episode_return = np.zeros(n)

    def _observe(self, obs: np.ndarray) -> torch.Tensor:
        if self.obs_rms is not None:
            self.obs_rms.update(obs)
            obs = self.obs_rms.normalize(obs)
        return torch.as_tensor(obs, dtype=torch.float32, device=self.device)

    def collect(self) -> RolloutStats:
        """One rollout of ``rollout_steps`` steps of every copy into the buffer."""
        if self._obs is None:
            self.reset()
        buf, cfg = self.buffer, self.config
        env_seconds, rewards_sum, valid_sum, returns = 0.0, 0.0, 0, []
        obs = self._observe(self._obs)
        for t in range(cfg.rollout_steps):
            valid = ~self._prev_done
            with torch.no_grad():
                action, logp, value = self.policy.sample(obs)
            tic = time.perf_counter()
            next_obs, reward, terminated, truncated, _ = self.env.step(
                self.spec.to_env(action.cpu().numpy())
            )
            env_seconds += time.perf_counter() - tic
            reward = np.asarray(reward, dtype=np.float64)
            done = np.logical_or(terminated, truncated)

            # Statistics in the environment's units, over real transitions only.
            rewards_sum += float(reward[valid].sum())
            valid_sum += int(valid.sum())
            self._episode_return += np.where(valid, reward, 0.0)
            returns += self._episode_return[done].tolist()
            self._episode_return[done] = 0.0

            if self.ret_rms is not None:
                self._discounted = np.where(valid, self._discounted * cfg.gamma + reward, 0.0)
                memory = cfg.reward_memory * cfg.batch_size if cfg.reward_memory else math.inf
                self.ret_rms.update(self._discounted[valid], memory)
                reward = reward / np.sqrt(self.ret_rms.var + 1e-8)
                self._discounted[done] = 0.0

            buf.add(t, obs, action, logp, value, reward, terminated, done, valid)
            self._prev_done = done
            self._obs = np.asarray(next_obs, dtype=np.float64)
            obs = self._observe(self._obs)
        self._last_obs = obs
        self.step += cfg.batch_size
        return RolloutStats(
            step=self.step,
            mean_reward=rewards_sum / max(valid_sum, 1),
            mean_return=float(np.mean(returns)) if returns else float("nan"),
            episodes=len(returns),
            env_seconds=env_seconds,
            seconds=0.0,
        )

    def update(self) -> dict[str, float]:
        """GAE on the buffer, then :func:`ppo_update` (after annealing the learning rate)."""
        cfg, buf = self.config, self.buffer
        if cfg.anneal_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = cfg.lr * max(0.0, 1.0 - self.updates / cfg.num_updates)
        with torch.no_grad():
            last_value = self.policy.value(self._last_obs)
        advantages, returns = compute_gae(
            buf.rewards,
            buf.values,
            buf.terminations,
            buf.dones,
            last_value,
            cfg.gamma,
            cfg.gae_lambda,
        )
        stats = ppo_update(self.policy, self.optimizer, buf.batch(advantages, returns), cfg)
        self.updates += 1
        return stats

    # -------------------------------------------------------------- resume support
    def training_state(self) -> dict[str, Any]:
        """What a resumed run needs besides the network: optimizer, counters, torch's RNG
        and the reward normaliser (tensors and plain values; ``torch.save``-able)."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "updates": self.updates,
            "step": self.step,
            "ret_rms": None if self.ret_rms is None else self.ret_rms.to_dict(),
        }

    def load_training_state(self, state: dict[str, Any], obs_rms: RunningMeanStd | None) -> None:
        """Restore :meth:`training_state` (and the observation normaliser); the
        environment is then reset with a seed derived from the step count, because a
        simulator's state is not saved (the resumed run sees fresh episodes)."""
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        self.updates, self.step = int(state["updates"]), int(state["step"])
        if state["ret_rms"] is not None:
            self.ret_rms = RunningMeanStd.from_dict(state["ret_rms"])
        if obs_rms is not None:
            self.obs_rms = obs_rms
        self.reset(seed=self.config.seed + self.step)


def train(
    env: Any, config: PPOConfig, *, callback: Callable[[PPO, RolloutStats], Any] | None = None
) -> PPO:
    """Train PPO on ``env`` for ``config.total_steps`` steps; returns the learner
    (``learner.policy`` is the trained :class:`ActorCritic`)."""
    return PPO(env, config).learn(callback)
