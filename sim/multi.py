"""PettingZoo environments over any supply network in which several stock points learn.

The engine consults stock points one after another (downstream → upstream, see
:mod:`sim.model`): under ``decide="end"`` an upstream node has already received this
period's order of its customer when it decides. A multi-agent environment must say what
each agent has seen when it acts, so there are two of them, with two information
structures:

* :class:`SupplyChainAECEnv` (PettingZoo AEC, turn-based) is exact: agents act in the
  engine's own decision order, and each sees what a decision module in its place would
  see, when it would see it. A team of heuristics played through it gives the engine's
  table bit for bit.
* :class:`SupplyChainParallelEnv` (PettingZoo Parallel) is the *simultaneous* structure:
  every agent observes its stock point as period ``t - 1`` closed (ending stock, backlog,
  what is in transit, the demand or orders it saw in ``t - 1``; before period ``t``'s
  receipts), then all agents choose their period-``t`` orders at once; the engine then
  runs period ``t`` and places each order at that agent's turn. So no agent sees another
  agent's period-``t`` order before it orders; an upstream agent learns of it one period
  later than in the AEC environment.

:class:`TeamVectorEnv` is the AEC structure over ``K`` copies of the network in the
vectorized engine, one engine stop per learner per period for all copies at once: the
batched rollouts of the multi-agent learners (:mod:`agents.learning.multi`).
:class:`EventTeamVectorEnv` offers the same interface over ``K`` copies of the AEC
environment (the event engine), for what the vectorized engine lacks: a market
(:mod:`sim.market`), where priced firms learn against each other (self-play).

Common to all three:

* **Agents** are strings, in the engine's decision order. A learner is a stocking node,
  whose agent is ``str(node)``, or in a network of several products
  (``graph.graph["products"]``) one stock point (SKU), named ``(node, product)``, whose
  agent is ``f"{node}:{product}"``; its observation, action, rewards and fingerprint are
  that SKU's (see :mod:`sim.env`), and the node's other products keep their modules.
* **Observations** are local: each learner's :class:`~sim.spaces.ObservationLayout`
  vector, as in :class:`~sim.env.InventoryEnv`. ``global_state=True`` appends the global
  state (below) to every agent's vector, for centralised critics; :meth:`state` returns it
  on its own (PettingZoo's ``state()``).
* **Global state**: for every stock point of the network (stocking nodes in graph order,
  each node's products in order), its on hand, backlog, inventory position and the demand
  it saw, at that instant, divided by the network's mean customer demand per period (all
  products).
* **Rewards** per period: each agent's own negative cost (``reward="cost"``) or profit
  (``"profit"``), the team's (the sum over every stock point of the network, learners
  and heuristic teammates alike: the cooperative objective), or a mix ``alpha * own + (1 -
  alpha) * team`` (``alpha=1``: own, ``alpha=0``: team). A period's reward is given to all
  agents at the step that closes it (in the AEC environment: the last agent's turn of
  the period).
* **Episodes** last ``periods`` periods and are truncated, never terminated.
* Every learner must decide every period (periodic review without uneven review epochs).

pettingzoo and gymnasium are imported here only: ``import sim`` does not need them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

import networkx as nx
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv

from networks.attributes import is_source

from .env import Reward, _Setup, mixed_rewards, money_per_copy
from .model import SupplyChainModel
from .policy import External, Policy
from .spaces import ActionMapping, ObservationLayout
from .vector import VectorizedSupplyChainModel

# The positions an order-up-to action is checked against before its decision comes.
_AT_ZERO = SimpleNamespace(inventory_position=0.0, echelon_inventory_position=0.0)

__all__ = ["EventTeamVectorEnv", "SupplyChainAECEnv", "SupplyChainParallelEnv", "TeamVectorEnv"]

#: Entries of the global state per stock point.
STATE_FIELDS = ("on_hand", "backlog", "inventory_position", "demand")


def _scenario_options(scenario: Any, graph: nx.DiGraph) -> dict[str, Any]:
    """A scenario's engine options, its ``[market]`` (:mod:`sim.market`) among them."""
    market = scenario.market(graph)
    return {**scenario.options, **({"market": market} if market is not None else {})}


class _Team:
    """What the multi-agent environments derive from the network: each learner's layout,
    mapping and spaces (one :class:`~sim.env._Setup` each), the modules of the engine, the
    global state's size and the reward mix. ``observe_all``: the learners' observations
    carry every optional field, so that any decision module can be played in their place
    (else only what their layouts need)."""

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        options: Mapping[str, Any],
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None,
        scale: float | None,
        periods: int,
        reward: str,
        alpha: float,
        global_state: bool,
        observe_all: bool,
    ):
        learners = list(learners)
        if not learners:
            raise ValueError("learners: give at least one stocking node")
        if options.get("review", "periodic") != "periodic":
            raise ValueError(
                "review: the multi-agent environments need periodic review (every learner "
                "decides once per period)"
            )
        setups = []
        for learner in learners:
            mapping = action.get(learner) if isinstance(action, Mapping) else action
            setup = _Setup(
                graph, policies, learner, options, mapping, scale, periods, reward, alpha
            )
            if setup.layout.review_cycle:
                raise ValueError(
                    f"learners: {setup.where} reviews at uneven epochs; the "
                    "multi-agent environments need learners that decide every period"
                )
            setups.append(setup)
        skus = [s.sku for s in setups]
        if len(set(skus)) != len(skus):
            raise ValueError(f"learners: each node once (each SKU once), got {learners!r}")
        replaced = set().union(*(s.replaces for s in setups))
        engine = {key: module for key, module in policies.items() if key not in replaced}
        for s in setups:  # External markers, one each (the vectorized engine groups by them)
            engine[s.learner] = External() if observe_all else s.policies[s.learner]
        self.policies = engine
        self.options = setups[0].options
        self.periods, self.reward, self.alpha = periods, reward, setups[0].alpha
        self.global_state = bool(global_state)
        probe = SupplyChainModel(graph, engine, **self.options, record=False)
        setups.sort(key=lambda s: probe.sku_index[s.sku])  # the engine's decision order
        self.setups = {s.name: s for s in setups}
        self.agents = list(self.setups)
        # every stock point: stocking nodes in graph order, each one's products in order
        self.stocking = [
            (n, p) for n in graph.nodes if not is_source(graph, n) for p in probe.products
        ]
        demand = sum(c.mean_demand() for c in probe._customers.values())
        self.state_scale = max(float(demand), 1.0)
        self.state_size = len(STATE_FIELDS) * len(self.stocking)
        self.state_space = spaces.Box(-np.inf, np.inf, (self.state_size,), np.float32)
        extra = self.state_size if self.global_state else 0
        self.observation_spaces = {
            a: spaces.Box(-np.inf, np.inf, (s.layout.size + extra,), np.float32)
            for a, s in self.setups.items()
        }
        self.action_spaces = {a: s.action_space for a, s in self.setups.items()}
        self.layouts: dict[str, ObservationLayout] = {a: s.layout for a, s in self.setups.items()}
        self.mappings: dict[str, ActionMapping] = {a: s.mapping for a, s in self.setups.items()}

    def state_vector(self, field: Any) -> np.ndarray:
        """The global state from ``field(name)``, the :data:`STATE_FIELDS` of every stock
        point (shape ``(SKUs,)``, or ``(SKUs, copies)``): ``(size,)`` or ``(copies, size)``."""
        stacked = np.stack([np.asarray(field(f), dtype=np.float64) for f in STATE_FIELDS])
        x = (np.moveaxis(stacked, 0, 1) / self.state_scale).astype(np.float32)  # SKUs, fields
        return x.reshape(-1) if x.ndim == 2 else np.moveaxis(x, 2, 0).reshape(x.shape[2], -1)

    def rewards(self, own: np.ndarray, team: np.ndarray) -> np.ndarray:
        """:func:`sim.env.mixed_rewards` with the team's ``alpha`` and reward kind."""
        return mixed_rewards(own, team, self.alpha, self.reward)


class _Seeded:
    """The episodes' seeds of an environment: the first episode runs ``seed``, later ones
    draws of the environment's generator, unless ``reset`` is given a seed."""

    def _seed_episodes(self, seed: int) -> None:
        self._first_seed, self._started = seed, False
        self._np_random, self._np_random_seed = seeding.np_random(seed)

    def _next_seed(self, seed: int | None) -> int:
        """The run's seed: ``seed``, else the first seed, then draws of the env's generator."""
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seed)
        elif self._started:
            seed = int(self._np_random.integers(2**31))
        else:
            seed = self._first_seed
        self._started = True
        return seed


class _TeamModel(_Seeded):
    """The event engine under a team, and what the AEC and Parallel environments share."""

    metadata: ClassVar[dict[str, Any]]

    def _build(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        *,
        periods: int,
        options: Mapping[str, Any] | None,
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None,
        scale: float | None,
        reward: Reward,
        alpha: float,
        global_state: bool,
        record: bool,
        seed: int,
    ) -> None:
        team = _Team(
            graph,
            policies,
            learners,
            options or {},
            action,
            scale,
            periods,
            reward,
            alpha,
            global_state,
            observe_all=True,
        )
        self.team, self.periods = team, periods
        self.possible_agents = list(team.agents)
        self.agents: list[str] = []
        self.layouts, self.mappings = team.layouts, team.mappings
        self.state_space = team.state_space
        self.model = SupplyChainModel(
            graph,
            team.policies,
            **team.options,
            seed=seed,
            record=record,
            track_rewards=team.alpha < 1.0,
        )
        self._index = {a: self.model.sku_index[s.sku] for a, s in team.setups.items()}
        self._agent_of = {i: a for a, i in self._index.items()}
        self._all = list(range(len(self.model.sku_names)))
        self._stocking = [self.model.sku_index[sku] for sku in team.stocking]
        self._seed_episodes(seed)

    def observation_space(self, agent: str) -> spaces.Space:
        return self.team.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.team.action_spaces[agent]

    def state(self) -> np.ndarray:
        """The global state now (see the module docstring)."""
        model, t = self.model, self.model.period
        columns = [model.observe(i, t) for i in self._stocking]
        return self.team.state_vector(lambda f: [getattr(obs, f) for obs in columns])

    def _local(self, agent: str, obs: Any) -> np.ndarray:
        v = self.layouts[agent].vector(obs)
        return np.concatenate([v, self.state()]) if self.team.global_state else v

    def _period_rewards(self) -> dict[str, float]:
        """Every agent's reward for the periods closed since the last call."""
        model = self.model
        own = np.array([model.take_reward_of(self._index[a]) for a in self.possible_agents])
        team = np.zeros(6)
        if self.team.alpha < 1.0:
            money = np.array(
                [model.take_reward_of(i) for i in self._all if i not in self._agent_of]
            )
            team = own.sum(axis=0) + (money.sum(axis=0) if len(money) else 0.0)
        values = self.team.rewards(own, team)
        return {a: float(r) for a, r in zip(self.possible_agents, values, strict=True)}


class SupplyChainAECEnv(_TeamModel, AECEnv):
    """Several learners, one turn each where the engine consults them (PettingZoo AEC).

    Args:
        graph: the network.
        policies: the decision module of every stocking node, or ``(node, product)`` (the
            learners' are replaced).
        learners: the nodes, or ``(node, product)`` SKUs, the agents decide for (agents are
            their names as strings: see the module docstring).
        periods: periods per episode (truncated after them).
        options: engine options (``decide``, ...; see :class:`~sim.model.SupplyChainModel`).
        action: how actions become orders: one mapping for all, or one per learner (keyed
            as in ``learners``; default: ``Discrete`` up to four times the mean demand; a
            string is a mapping ``target``, e.g. ``"echelon_position"``, on its default
            range; see :mod:`sim.env`).
        scale: observation scale (default: each learner's mean customer demand, of its
            product).
        reward: ``"cost"`` (negative cost per period) or ``"profit"``.
        alpha: weight of an agent's own reward; ``1 - alpha`` goes on the team's.
        global_state: append the global state to every agent's observation.
        record: keep the engine's per-period table (``env.model.results()``).
        seed: the seed of the first episode when ``reset`` is given none.

    Raises:
        ValueError: a learner is not a stocking node (or SKU), is a bare node of a network
            of several products, or does not decide every period, or an argument is out of
            range (the message names it).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "supplysim_aec_v0", "render_modes": []}

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        *,
        periods: int = 200,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        global_state: bool = False,
        record: bool = False,
        seed: int = 0,
    ):
        super().__init__()
        self._build(
            graph,
            policies,
            learners,
            periods=periods,
            options=options,
            action=action,
            scale=scale,
            reward=reward,
            alpha=alpha,
            global_state=global_state,
            record=record,
            seed=seed,
        )
        self._decision = None

    @classmethod
    def from_scenario(cls, scenario: Any, learners: Sequence[Any], **kwargs: Any):
        """An environment over a ``scenarios.Scenario`` (its network, modules, options and
        seed; ``options`` adds to them)."""
        graph = scenario.network()
        kwargs["options"] = {**_scenario_options(scenario, graph), **kwargs.get("options", {})}
        kwargs.setdefault("seed", int(scenario.seed))
        return cls(graph, scenario.policies(graph), learners, **kwargs)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        """Start an episode: with ``seed`` it is the engine run of that seed."""
        seed = self._next_seed(seed)
        self.model.reset(seed)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos = {a: {} for a in self.agents}
        self._decision = self.model.advance(until=self.periods)
        if self._decision is None:
            raise ValueError(f"periods: no learner decides within {self.periods} periods")
        self.agent_selection = self._agent_of[self._decision.index]

    def observe(self, agent: str) -> np.ndarray:
        """``agent``'s observation vector now (at its turn: what it decides on)."""
        return self._local(agent, self.model.observe(self._index[agent], self.model.period))

    def decision_observation(self):
        """The :class:`~sim.policy.InventoryObservation` of the current turn, every
        optional field filled: what a decision module in the agent's place would be given
        (to play heuristics through the environment)."""
        if self._decision is None:
            raise RuntimeError("decision_observation: no turn is pending; call reset()")
        return self._decision.observation

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.truncations[agent] or self.terminations[agent]:
            self._was_dead_step(action)
            return
        if self._decision is None:
            raise RuntimeError("step: call reset() first")
        self._cumulative_rewards[agent] = 0.0
        period = self._decision.period
        order = self.mappings[agent].quantity(action, self._decision.observation)
        decision = self.model.advance(order, until=self.periods)
        self._decision = decision
        self._clear_rewards()
        if decision is None or decision.period != period:
            self.rewards = self._period_rewards()
        if decision is None:
            self.truncations = dict.fromkeys(self.agents, True)
            self.agent_selection = self.agents[0]
        else:
            self.agent_selection = self._agent_of[decision.index]
        self._accumulate_rewards()


class SupplyChainParallelEnv(_TeamModel, ParallelEnv):
    """Several learners choosing their orders simultaneously each period (PettingZoo
    Parallel; the information structure is in the module docstring).

    Same arguments as :class:`SupplyChainAECEnv`. ``step`` returns each agent's reward of
    the period its actions were played in, and the observations of the next period.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "supplysim_parallel_v0", "render_modes": []}

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        *,
        periods: int = 200,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        global_state: bool = False,
        record: bool = False,
        seed: int = 0,
    ):
        self._build(
            graph,
            policies,
            learners,
            periods=periods,
            options=options,
            action=action,
            scale=scale,
            reward=reward,
            alpha=alpha,
            global_state=global_state,
            record=record,
            seed=seed,
        )

    from_scenario = classmethod(SupplyChainAECEnv.from_scenario.__func__)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode (the engine run of ``seed``) at period 0."""
        self.model.reset(self._next_seed(seed))
        self.agents = list(self.possible_agents)
        return self._observations(), {a: {} for a in self.agents}

    def _observations(self) -> dict[str, np.ndarray]:
        """Every agent's view of the state as the last period closed (period ``-1``: the
        initial state)."""
        t = self.model.period - 1
        return {a: self._local(a, self.model.observe(self._index[a], t)) for a in self.agents}

    def step(self, actions: Mapping[str, Any]):
        if not self.agents:
            raise RuntimeError("step: the episode is over; call reset()")
        missing = sorted(set(self.agents) - set(actions))
        if missing:
            raise ValueError(f"step: no action for agents {missing}")
        model, t = self.model, self.model.period
        mappings = self.mappings
        # Every action is checked before the period runs; an order-up-to level becomes an
        # order at the agent's decision, against the position it then has.
        quantities = {a: mappings[a].quantity(actions[a], _AT_ZERO) for a in self.agents}
        decided: set[str] = set()
        decision = model.advance(until=t + 1)
        while decision is not None:
            agent = self._agent_of[decision.index]
            if agent in decided or decision.period != t:
                raise RuntimeError(f"agent {agent!r} decided twice in period {t}")
            decided.add(agent)
            order = quantities[agent]
            if mappings[agent].orders_up_to:
                order = mappings[agent].quantity(actions[agent], decision.observation)
            decision = model.advance(order, until=t + 1)
        if decided != set(self.agents):
            raise RuntimeError(f"agents {sorted(set(self.agents) - decided)} never decided")
        rewards = self._period_rewards()
        observations = self._observations()
        done = model.period >= self.periods
        truncations = dict.fromkeys(self.agents, done)
        terminations = dict.fromkeys(self.agents, False)
        infos = {a: {} for a in self.agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos


def _checked_num_envs(num_envs: Any) -> int:
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"num_envs: must be an integer >= 1, got {num_envs!r}")
    return num_envs


class _TeamVector(_Seeded):
    """What :class:`TeamVectorEnv` and :class:`EventTeamVectorEnv` share: the interface
    the multi-agent learners read, taken from the team, and the episodes' seeds."""

    def _adopt(self, team: _Team, num_envs: int, periods: int, seed: int) -> None:
        self.team, self.num_envs, self.periods = team, num_envs, periods
        self.agents = list(team.agents)
        self.layouts, self.mappings = team.layouts, team.mappings
        self.observation_spaces, self.action_spaces = team.observation_spaces, team.action_spaces
        self.fingerprints = {a: s.fingerprint for a, s in team.setups.items()}
        self._seed_episodes(seed)

    @classmethod
    def from_scenario(
        cls, scenario: Any, learners: Sequence[Any], num_envs: int, **kwargs: Any
    ) -> Any:
        """The environment over a ``scenarios.Scenario``: its network, policies, options
        (:meth:`_options`) and seed; ``kwargs`` as the constructor's, ``options`` merged."""
        graph = scenario.network()
        kwargs["options"] = {**cls._options(scenario, graph), **kwargs.get("options", {})}
        kwargs.setdefault("seed", int(scenario.seed))
        return cls(graph, scenario.policies(graph), learners, num_envs, **kwargs)

    @property
    def global_state(self) -> bool:
        """Observations end with the global state (the ``global_state`` argument)."""
        return self.team.global_state

    @property
    def state_size(self) -> int:
        """The length of :meth:`state`'s rows."""
        return self.team.state_size


class TeamVectorEnv(_TeamVector):
    """``num_envs`` copies of a team's network in the vectorized engine, turn-based as
    :class:`SupplyChainAECEnv`: the engine stops at each learner's decision for all copies
    at once. Learners of one echelon (a distribution network's retailers, the SKUs of one
    node) decide together in this engine: they take their turns one after another on the
    same state, and their orders go out after the last turn (their local observations are
    the AEC's; the global state does not show a turn's orders to the next agent of the
    echelon).

    Copy ``k`` of an episode started by ``reset(seed=s)`` is the engine run of seed
    ``s + k``; all copies start and end their episodes together.

    Use::

        env.reset(seed=0)
        while not env.done:
            agent = env.agent                   # whose turn, in the engine's order
            obs = env.observe(agent)            # (num_envs, obs size)
            rewards = env.step(actions)         # (num_envs,) actions of that agent
            # rewards: None, or (agents, num_envs) when the step closed a period

    Same arguments as :class:`SupplyChainAECEnv` (no ``record``), plus ``num_envs``.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        num_envs: int,
        *,
        periods: int = 100,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        global_state: bool = False,
        seed: int = 0,
    ):
        _checked_num_envs(num_envs)
        team = _Team(
            graph,
            policies,
            learners,
            options or {},
            action,
            scale,
            periods,
            reward,
            alpha,
            global_state,
            observe_all=False,
        )
        self._adopt(team, num_envs, periods, seed)
        self.model = VectorizedSupplyChainModel(
            graph,
            team.policies,
            **team.options,
            copies=[seed + k for k in range(num_envs)],
            record=False,
            track_rewards=team.alpha < 1.0,
        )
        index = self.model.sku_index

        def indices(sku: tuple[Any, str]) -> np.ndarray:
            node, product = sku
            return np.array([index[(k, node), product] for k in range(num_envs)], dtype=np.int64)

        self._index = {a: indices(s.sku) for a, s in team.setups.items()}
        self._owner = np.full(len(self.model.sku_names), -1, dtype=np.int64)  # -> agent
        for k, a in enumerate(self.agents):
            self._owner[self._index[a]] = k
        self._stocking = np.stack([indices(sku) for sku in team.stocking])  # (SKUs, copies)
        self._learners = np.stack([self._index[a] for a in self.agents])
        self._decision = None
        self._turns: list[str] = []  # the pending decision's agents still to act, in order
        self._seen: dict[str, Any] = {}  # their observation batches
        self._slots: dict[str, np.ndarray] | None = None  # their rows in a joint decision
        self._orders: np.ndarray | None = None  # a joint decision's quantities so far
        self._period = 0

    @staticmethod
    def _options(scenario: Any, graph: nx.DiGraph) -> dict[str, Any]:
        """A scenario's options; one with a market is refused (the vectorized engine has
        none; :class:`EventTeamVectorEnv` has)."""
        if scenario.market(graph) is not None:
            raise ValueError(
                f"scenario {scenario.name!r}: its [market] needs the event engine; use "
                "EventTeamVectorEnv"
            )
        return dict(scenario.options)

    @property
    def done(self) -> bool:
        """The episode is over (all copies truncated): :meth:`reset` starts the next."""
        return self._decision is None

    @property
    def agent(self) -> str | None:
        """The agent whose turn it is (``None`` when the episode is over)."""
        return self._turns[0] if self._turns else None

    def reset(self, seed: int | None = None) -> None:
        """Start new episodes in every copy: copy ``k`` runs seed ``seed + k`` (without a
        seed: the first seed, then draws of the environment's generator)."""
        seed = self._next_seed(seed)
        self.model.reset(copies=[seed + k for k in range(self.num_envs)])
        self._take(self.model.advance(until=self.periods))
        if self._decision is None:
            raise ValueError(f"periods: no learner decides within {self.periods} periods")
        self._period = self._decision.period

    def _take(self, decision: Any) -> None:
        """The engine's next decision, as turns: one agent's, or when learners of one
        echelon decide together (the vectorized engine's echelon step: a distribution
        network's retailers, the SKUs of one node), one turn each in the order of their
        stock points, all on the same state; their orders go out together after the last
        turn."""
        self._decision, self._slots, self._orders = decision, None, None
        if decision is None:
            self._turns, self._seen = [], {}
            return
        index = decision.index
        owners = self._owner[index]
        if len(index) == self.num_envs and owners[0] >= 0 and (owners == owners[0]).all():
            agent = self.agents[int(owners[0])]
            self._turns, self._seen = [agent], {agent: decision.observation}
            return
        _, first = np.unique(owners, return_index=True)
        if owners.min() < 0 or len(index) != len(first) * self.num_envs:
            raise RuntimeError("the copies of a learner did not decide together")
        turns = [self.agents[int(k)] for k in owners[np.sort(first)]]
        row = {int(i): r for r, i in enumerate(index.tolist())}
        self._slots = {a: np.array([row[int(i)] for i in self._index[a]]) for a in turns}
        self._seen = {a: self.model.observe_batch(self._index[a], decision.period) for a in turns}
        self._turns = turns

    def observe(self, agent: str) -> np.ndarray:
        """``agent``'s observations now, ``(num_envs, size)`` float32."""
        batch = self._seen.get(agent)
        if batch is None:
            batch = self.model.observe_batch(self._index[agent])
        v = self.layouts[agent].batch(batch)
        return np.concatenate([v, self.state()], axis=1) if self.team.global_state else v

    def state(self) -> np.ndarray:
        """The global state of every copy now, ``(num_envs, state size)`` float32."""
        batch = self.model.observe_batch(self._stocking.reshape(-1))
        return self.team.state_vector(lambda f: getattr(batch, f).reshape(self._stocking.shape))

    def step(self, actions: Any) -> np.ndarray | None:
        """Play the current agent's actions (one per copy, as its action space takes them).

        Returns:
            ``None``, or when the step closed a period every agent's reward for it, shape
            ``(agents, num_envs)`` (rows in :attr:`agents` order).
        """
        if self._decision is None:
            raise RuntimeError("step: the episode is over; call reset()")
        agent = self.agent
        mapping = self.mappings[agent]
        quantities = mapping.quantities(
            np.asarray(actions).reshape(self.num_envs, -1), self._seen[agent]
        )
        if mapping.suppliers == 1:
            quantities = quantities[:, 0]
        if self._slots is not None:  # one turn of a joint decision
            if self._orders is None:
                self._orders = np.zeros((len(self._decision.index), *quantities.shape[1:]))
            elif self._orders.shape[1:] != quantities.shape[1:]:
                raise ValueError(
                    f"agents {list(self._slots)} decide together but order from different "
                    "numbers of suppliers; the vectorized engine takes one form per echelon"
                )
            self._orders[self._slots[agent]] = quantities
            self._turns.pop(0)
            if self._turns:
                return None
            quantities = self._orders
        self._take(self.model.advance(quantities, until=self.periods))
        decision = self._decision
        if decision is not None and decision.period == self._period:
            return None
        if decision is not None:
            self._period = decision.period
        own = self.model.take_rewards(self._learners.reshape(-1)).reshape(
            len(self.agents), self.num_envs, 6
        )
        team = np.zeros(6)
        if self.team.alpha < 1.0:
            team = own.sum(axis=0) + money_per_copy(self.model, self._learners.reshape(-1))
        return self.team.rewards(own, team)


class EventTeamVectorEnv(_TeamVector):
    """``num_envs`` copies of :class:`SupplyChainAECEnv` (the event engine) played in
    lockstep, with :class:`TeamVectorEnv`'s interface, so that the multi-agent learners
    (:class:`agents.learning.multi.MultiPPO`) train where the vectorized engine cannot go:
    a market (:mod:`sim.market`), e.g. two priced firms each the other's competitor
    (self-play). Slower than :class:`TeamVectorEnv` (one engine per copy).

    Copy ``k`` of an episode started by ``reset(seed=s)`` is the engine run of seed
    ``s + k`` (exactly :class:`SupplyChainAECEnv`'s run of that seed); all copies start
    and end their episodes together. Arguments as :class:`SupplyChainAECEnv`'s (``record``
    keeps each copy's table: ``env.copies[k].model.results()``), plus ``num_envs``;
    :meth:`from_scenario` brings a scenario's market.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learners: Sequence[Any],
        num_envs: int,
        *,
        periods: int = 100,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | Mapping[Any, ActionMapping | str] | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        global_state: bool = False,
        record: bool = False,
        seed: int = 0,
    ):
        _checked_num_envs(num_envs)
        self.copies = [
            SupplyChainAECEnv(
                graph,
                policies,
                learners,
                periods=periods,
                options=options,
                action=action,
                scale=scale,
                reward=reward,
                alpha=alpha,
                global_state=global_state,
                record=record,
                seed=seed + k,
            )
            for k in range(num_envs)
        ]
        self._adopt(self.copies[0].team, num_envs, periods, seed)
        self._done = True

    _options = staticmethod(_scenario_options)  # the market too

    @property
    def done(self) -> bool:
        """The episode is over (all copies truncated): :meth:`reset` starts the next."""
        return self._done

    @property
    def agent(self) -> str | None:
        """The agent whose turn it is (``None`` when the episode is over)."""
        return None if self._done else self.copies[0].agent_selection

    def reset(self, seed: int | None = None) -> None:
        """Start new episodes in every copy: copy ``k`` runs seed ``seed + k`` (without a
        seed: the first seed, then draws of the environment's generator)."""
        seed = self._next_seed(seed)
        for k, env in enumerate(self.copies):
            env.reset(seed=seed + k)
        self._done = False

    def observe(self, agent: str) -> np.ndarray:
        """``agent``'s observations now, ``(num_envs, size)`` float32."""
        return np.stack([env.observe(agent) for env in self.copies])

    def state(self) -> np.ndarray:
        """The global state of every copy now, ``(num_envs, state size)`` float32."""
        return np.stack([env.state() for env in self.copies])

    def step(self, actions: Any) -> np.ndarray | None:
        """Play the current agent's actions (one row per copy, as its action space takes
        them).

        Returns:
            ``None``, or when the step closed a period every agent's reward for it, shape
            ``(agents, num_envs)`` (rows in :attr:`agents` order).
        """
        if self._done:
            raise RuntimeError("step: the episode is over; call reset()")
        agent = self.agent
        actions = np.asarray(actions).reshape(self.num_envs, -1)
        closed = []
        for env, action in zip(self.copies, actions, strict=True):
            period = env._decision.period
            env.step(action if len(action) > 1 else action[0])
            decision = env._decision
            closed.append(decision is None or decision.period != period)
            if decision is not None and env.agent_selection != self.copies[0].agent_selection:
                raise RuntimeError(f"the copies of agent {agent!r} did not decide together")
        if not any(closed):
            return None
        if not all(closed):
            raise RuntimeError("the copies did not close a period together")
        self._done = self.copies[0]._decision is None
        return np.array([[env.rewards[a] for env in self.copies] for a in self.agents])
