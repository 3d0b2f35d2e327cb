"""A stand-in for ``sim.env``'s vector environments: Zipkin's lost-sales single stage in
numpy, batched, with the same contract (NEXT_STEP autoreset, ``layout``, ``mapping``,
``fingerprint``), and helpers that measure a policy's cost per period on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.vector import AutoresetMode  # noqa: E402
from gymnasium.vector.utils import batch_space  # noqa: E402

from sim.policy import ObservationBatch  # noqa: E402
from sim.spaces import ActionMapping, ObservationLayout  # noqa: E402

MEAN_DEMAND, HOLDING, LOST_SALES = 5.0, 1.0, 9.0


class LostSalesVecEnv(gym.vector.VectorEnv):
    """``num_envs`` copies of a lost-sales stock point: Poisson(5) demand, holding cost 1
    and lost-sales cost 9 per unit, lead time 1, orders 0..20; each period: receive last
    period's order, decide, serve demand, pay. Episodes are truncated after ``periods``."""

    metadata: ClassVar[dict] = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 16, periods: int = 100, kind: str = "discrete") -> None:
        self.num_envs, self.periods = num_envs, periods
        self.layout = ObservationLayout(suppliers=1, arrival_slots=1, scale=MEAN_DEMAND)
        self.mapping = ActionMapping(kind=kind, low=0, high=20)
        self.fingerprint = "stand-in lost_sales: shop"
        self.single_observation_space = gym.spaces.Box(
            -np.inf, np.inf, (self.layout.size,), np.float32
        )
        if kind == "discrete":
            self.single_action_space = gym.spaces.Discrete(self.mapping.n)
        else:
            self.single_action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._rng = np.random.default_rng()

    def _restart(self, which: np.ndarray) -> None:
        self.on_hand[which] = 5.0
        self.due[which] = 5.0  # arrives at the start of the next period
        self.demand[which] = 0.0
        self.t[which] = 0

    def _obs(self) -> np.ndarray:
        n = self.num_envs
        batch = ObservationBatch(
            period=0,
            nodes=["shop"] * n,
            products=["widget"] * n,
            on_hand=self.on_hand,
            backlog=np.zeros(n),
            pipeline=self.due,
            inventory_position=self.on_hand + self.due,
            demand=self.demand,
            pipeline_by_supplier=self.due[:, None],
            arrivals=self.due[:, None],
        )
        return self.layout.batch(batch)

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        n = self.num_envs
        self.on_hand, self.due, self.demand = np.zeros(n), np.zeros(n), np.zeros(n)
        self.t = np.zeros(n, dtype=np.int64)
        self._restart(np.ones(n, dtype=bool))
        self._needs_reset = np.zeros(n, dtype=bool)
        return self._obs(), {}

    def step(self, actions):
        order = self.mapping.quantities(np.asarray(actions).reshape(self.num_envs, -1))[:, 0]
        restart = self._needs_reset
        self.on_hand += self.due  # last period's order arrives
        self.due = np.where(restart, 0.0, order)
        demand = self._rng.poisson(MEAN_DEMAND, self.num_envs).astype(float)
        sales = np.minimum(self.on_hand, demand)
        self.on_hand -= sales
        cost = HOLDING * self.on_hand + LOST_SALES * (demand - sales)
        self.demand = demand
        self.t += 1
        self._restart(restart)
        reward = np.where(restart, 0.0, -cost)
        truncated = (self.t >= self.periods) & ~restart
        self._needs_reset = truncated.copy()
        return self._obs(), reward, np.zeros(self.num_envs, dtype=bool), truncated, {}


def cost_per_period(
    decide: Callable[[np.ndarray, LostSalesVecEnv], np.ndarray],
    *,
    num_envs=64,
    periods=300,
    seed=123,
) -> float:
    """Mean cost per period of ``decide(obs, env) -> actions`` over one episode of every copy
    (after 20 periods of warm-up)."""
    env = LostSalesVecEnv(num_envs, periods)
    obs, _ = env.reset(seed=seed)
    costs = []
    for t in range(periods):
        obs, reward, _, _, _ = env.step(decide(obs, env))
        if t >= 20:
            costs.append(-reward.mean())
    return float(np.mean(costs))


def base_stock(level: float) -> Callable[[np.ndarray, LostSalesVecEnv], np.ndarray]:
    """Order up to ``level`` (on hand plus due), as action indices."""

    def decide(obs, env):
        position = obs[:, 2] * env.layout.scale
        return np.clip(np.rint(level - position), 0, 20).astype(np.int64)

    return decide


def greedy(policy, obs_rms=None) -> Callable[[np.ndarray, LostSalesVecEnv], np.ndarray]:
    """The deterministic actions of an ActorCritic, as action indices."""
    import torch

    def decide(obs, env):
        x = obs if obs_rms is None else obs_rms.normalize(obs)
        with torch.no_grad():
            return (
                policy.mode(torch.as_tensor(x, dtype=torch.float32)).numpy()[:, 0].astype(np.int64)
            )

    return decide


@pytest.fixture(autouse=True)
def _one_thread():
    """Trainers set torch's process-wide thread count; give it back after each test."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def lost_sales_env() -> type[LostSalesVecEnv]:
    return LostSalesVecEnv


@pytest.fixture(name="cost_per_period")
def _cost_per_period():
    return cost_per_period


@pytest.fixture(name="base_stock")
def _base_stock():
    return base_stock


@pytest.fixture(name="greedy")
def _greedy():
    return greedy
