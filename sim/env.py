"""Gymnasium environments over any supply network: one stock point decided by a learner.

:class:`InventoryEnv` is a ``gymnasium.Env`` over the event engine; :class:`InventoryVectorEnv`
is a ``gymnasium.vector.VectorEnv`` over ``K`` copies of the network in the vectorized
engine (one engine step decides for all copies at once). Every other stock point keeps the
decision module the scenario gives it. Both stand on the engine's decision boundary
(:meth:`~sim.model.SupplyChainModel.advance`): the learner sees exactly what a decision
module in its place would see, when it would see it (the period diagrams are in
:mod:`sim.model`)::

    reset ──► the engine runs to the learner's first decision (period 0) ──► obs_0
    step(a_t) ──► orders a_t as the module would have ──► the engine runs on to the
                  next decision (period t + 1) ──► obs_{t+1}, reward of period t

* **Learner**: a stocking node of a network of one product, or one stock point (SKU) of
  a network of several (``graph.graph["products"]``), named ``(node, product)`` (a bare
  node is then an error naming the products). Everything below is that SKU's: its
  observation, the demand of its product that scales it, its orders, its money, its
  initial state and the :func:`fingerprint`; its module replaces that SKU's only (a
  module keyed by the node stays for the node's other products).
* **Observation**: a float32 vector, :class:`~sim.spaces.ObservationLayout` (on hand,
  backlog, inventory position, demand seen, pipeline per supplier, scheduled arrivals by
  period, divided by ``scale``, by default the mean customer demand per period of the
  learner's product served through it). ``env.layout.names`` names the entries.
* **Action**: :class:`~sim.spaces.ActionMapping`: by default ``Discrete(n)`` meaning an
  order of ``0 .. n - 1`` units (``n - 1`` is four times that mean demand, rounded up);
  ``action="position"`` (or ``"echelon_position"``): ``Discrete(n)`` meaning the level
  ``0 .. n - 1`` to order the (echelon) inventory position up to at the decision (``n - 1``
  is twice the mean demand over the review gap and the lead time, rounded up), so a
  constant action is a base-stock policy;
  ``MultiDiscrete`` with one entry per supplier when the learner multi-sources;
  ``action="base_surge"`` (two suppliers): the order from the slower supplier and the
  level ``0 .. n - 1`` to order the expedited position up to from the faster one (its lead
  time rounded up, as the arrival slots count it), so a constant action is tailored
  base-surge;
  ``action="reorder"``: ``MultiDiscrete([n, n])``, a reorder point and an order-up-to
  level, each ``0 .. n - 1`` (``n - 1`` is the order-up-to range and the order range
  above, summed: a fixed ordering cost makes larger batches worth ordering), so a
  constant action is an (s, S) policy;
  ``Box(-1, 1)`` per entry for a continuous mapping.
* **Pricing**: when the learner is a firm of the ``market`` in ``options``
  (:mod:`sim.market`, event engine), its observation ends with its price, the rivals'
  posted prices and its reference price (divided by the market's upper bound), and the
  action gains a last entry, the price: by default ``MultiDiscrete([n, 50])``, the second
  index choosing one of 50 evenly spaced prices from the market's ``low`` to ``high``
  (step 1 on the issue's ``[1, 50]``); the engine gets :class:`~sim.policy.Priced`
  ``(quantity, price)``. Use ``reward="profit"`` (Eq. (7)) there.
* **Reward**: the learner's negative cost of the period (``reward="cost"``, every cost
  part the table charges it) or its profit (``reward="profit"``: revenue less cost);
  with ``alpha < 1``, ``alpha`` times that plus ``1 - alpha`` times the same of the whole
  network (every stock point's, heuristic teammates included: a learner among fixed
  teammates may learn the team's objective, as in :mod:`sim.multi`).
* **Episodes** last ``periods`` periods and are truncated, never terminated (the learner
  learns a stationary policy for the long run, bootstrapped past the episode's end), unless
  ``finite_horizon=True``: then the episode is the whole problem (the seed paper's
  "T-period problem"), the observation gains the periods left (``periods_left``, counted
  down over the lead time's periods and one more before the end:
  :class:`~sim.spaces.ObservationLayout`'s ``horizon`` and ``end_window``), and its last
  step terminates (nothing is bootstrapped past it). In the vector
  environment each copy keeps its own episode clock: with ``stagger=True`` the copies' first
  episodes end after different numbers of periods, and from then on each copy starts a new
  episode alone (:meth:`~sim.vector.VectorizedSupplyChainModel.reset_copies`), so that the
  copies' episodes start spread over the episode length.
* **Initial states**: ``initial_state`` (:class:`~sim.initial.InitialState`) draws the
  learner's stock on hand and in transit (or every chosen node's) anew for every episode,
  from the episode's seed, instead of the network's declared start.

gymnasium is imported here only: ``import sim`` does not need it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import gymnasium as gym
import networkx as nx
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from networks.attributes import is_source, products, sku_product, split_key

from .initial import InitialState
from .model import Decision, SupplyChainModel, cost_of_money, names_for_message
from .policy import EXTERNAL, External, Policy
from .spaces import ActionMapping, ObservationLayout
from .vector import VectorizedSupplyChainModel

__all__ = ["InventoryEnv", "InventoryVectorEnv", "fingerprint", "learner_layout"]

Reward = Literal["cost", "profit"]

# Options that change runs, not what a policy is trained for: a checkpoint ignores them.
_NOT_FINGERPRINTED = ("seed", "record", "initial_state")


def fingerprint(graph: nx.DiGraph, learner: Any, options: Mapping[str, Any]) -> str:
    """A short digest of the network, the learner (its node, or its ``(node, product)`` in
    a network of several products) and the engine options: what a checkpoint was trained
    on."""
    data = {
        "nodes": sorted((str(n), sorted(d.items())) for n, d in graph.nodes(data=True)),
        "edges": sorted((str(u), str(v), sorted(d.items())) for u, v, d in graph.edges(data=True)),
        "learner": str(learner),
        "options": sorted((k, v) for k, v in options.items() if k not in _NOT_FINGERPRINTED),
    }
    return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]


def mixed_rewards(own: np.ndarray, team: np.ndarray, alpha: float, reward: str) -> np.ndarray:
    """``alpha * own + (1 - alpha) * team`` rewards from money arrays (last axis: the fields
    of :class:`~sim.model.Reward`) of the learners (``own``) and of the whole network
    (``team``: every stock point's summed, learners and heuristic teammates alike):
    negative costs (``reward="cost"``) or profits (``"profit"``)."""

    def value(money: np.ndarray) -> np.ndarray:
        cost = cost_of_money(money)
        return -cost if reward == "cost" else money[..., 5] - cost

    mine = value(own)
    if alpha == 1.0:
        return mine
    return alpha * mine + (1.0 - alpha) * value(team)


def money_per_copy(model: VectorizedSupplyChainModel, taken: np.ndarray) -> np.ndarray:
    """The money of every stock point of ``model`` but ``taken`` (their rewards are taken
    elsewhere), summed per copy: shape ``(copies, 6)``."""
    others = np.setdiff1d(np.arange(len(model.sku_names)), taken)
    money = model.take_rewards(others)
    copy = np.array([model.sku_names[i][0][0] for i in others.tolist()], np.int64)
    copies = len(model.copy_seeds)
    return np.stack([np.bincount(copy, money[:, j], copies) for j in range(6)], axis=1)


def _stock_point(graph: nx.DiGraph, learner: Any) -> tuple[Any, str]:
    """The stock point ``(node, product)`` a learner names: a stocking node (or its name as
    a string) of a network of one product, or a ``(node, product)`` pair.

    Raises:
        ValueError: no stocking node, no product of the network, or a bare node of a
            network of several products (the message names them).
    """
    name, product = split_key(graph, learner)
    names = {str(n): n for n in graph.nodes}
    node = name if name in graph else names.get(str(name), name)
    if node not in graph or is_source(graph, node):
        stocking = names_for_message(n for n in graph.nodes if not is_source(graph, n))
        raise ValueError(f"learner: {name!r} is not a stocking node; stocking nodes: {stocking}")
    try:
        return node, sku_product(graph, node, product)
    except ValueError as e:
        raise ValueError(f"learner: {e}") from None


class _Setup:
    """What both environments derive from the network: layout, mapping, spaces.

    The learner's stock point is ``sku`` (``(node, product)``); ``learner`` is its key
    (the node in a network of one product, else ``sku``), ``name`` its agent name in
    :mod:`sim.multi`, ``where`` its place in error messages, and ``replaces`` the keys of
    ``policies`` whose modules it replaces.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learner: Any,
        options: Mapping[str, Any],
        action: ActionMapping | str | None,
        scale: float | None,
        periods: int = 1,
        reward: str = "cost",
        alpha: float = 1.0,
        finite_horizon: bool = False,
    ):
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 1:
            raise ValueError(f"periods: must be an integer >= 1, got {periods!r}")
        if reward not in ("cost", "profit"):
            raise ValueError(f"reward: must be 'cost' or 'profit', got {reward!r}")
        if not isinstance(alpha, int | float) or isinstance(alpha, bool) or not 0 <= alpha <= 1:
            raise ValueError(f"alpha: must be a number in [0, 1], got {alpha!r}")
        if not isinstance(finite_horizon, bool):
            raise ValueError(f"finite_horizon: must be True or False, got {finite_horizon!r}")
        self.periods, self.reward, self.alpha = periods, reward, float(alpha)
        node, product = self.sku = _stock_point(graph, learner)
        single = len(products(graph)) == 1
        # a node names its only SKU: node learners keep their names and fingerprints
        self.learner = node if single else self.sku
        self.name = str(node) if single else f"{node}:{product}"
        self.where = f"node {node!r}" if single else f"node {node!r} product {product!r}"
        self.graph = graph
        # the learner's own module goes (a node's module stays for its other products)
        replaced = policies.get(self.sku, policies.get(node))
        self.replaces = {self.learner, self.sku}
        policies = {key: m for key, m in policies.items() if key not in self.replaces}
        self.policies = {**policies, self.learner: EXTERNAL}
        self.options = {k: v for k, v in options.items() if k not in ("seed", "record")}
        probe = SupplyChainModel(graph, self.policies, **self.options, record=False)
        i = probe.sku_index[self.sku]
        suppliers = probe._suppliers[i]
        slots = _arrival_slots(suppliers)
        below = {(d, product) for d in nx.descendants(graph, node)}  # this product's SKUs
        demand = sum(
            c.mean_demand()
            for k, c in probe._customers.items()
            if probe.sku_names[k] in below | {self.sku}
        )
        # A learner in place of a module that reviews at uneven epochs keeps its epochs.
        cycle, epochs = getattr(replaced, "cycle", 0), getattr(replaced, "epochs", ())
        # A firm of a market (sim.market) sees its price, its rivals' and its reference price,
        # and sets its price: by default on 50 prices over the market's bounds.
        state = probe._market
        market = state.market if state is not None and i in state.firm_of else None
        rivals = len(state.prices) - 1 if market is not None else 0
        target = action if isinstance(action, str) else getattr(action, "target", "quantity")
        self.layout = ObservationLayout(
            suppliers=len(suppliers),
            arrival_slots=slots,
            # a learner ordering up to an echelon level sees that position
            echelon=target == "echelon_position",
            scale=float(scale) if scale is not None else max(demand, 1.0),
            review_cycle=cycle if epochs else 0,
            review_epochs=tuple(epochs),
            priced=market is not None,
            rivals=rivals,
            price_scale=float(market.high) if market is not None else 1.0,
            horizon=periods if finite_horizon else 0,
            # the end reaches back the periods whose orders arrive after it, and one more
            end_window=slots + 1,
        )
        # Orders: up to four times the mean demand of the periods an order covers until the
        # next one. Order-up-to levels: up to twice the mean demand over those periods and
        # the lead time (an echelon's: its own and its descendants' longest, summed); an
        # (s, S) policy's: that and the order range (S - s is a batch).
        gap = max(self.layout.review_gaps(), default=1)
        prices = {}
        if market is not None:
            low, high = float(market.low), float(market.high)
            prices = {"price_low": low, "price_high": high, "price_step": (high - low) / 49}
        if isinstance(action, ActionMapping):
            self.mapping = action
        else:
            surge = {}
            if target == "base_surge":
                leads = [_arrival_slots([e]) for e in suppliers]
                if len(leads) != 2 or leads[0] == leads[1]:
                    raise ValueError(
                        f"action 'base_surge': {self.where} needs a regular and a faster "
                        f"expedited supplier, has lead times {leads}"
                    )
                fast = int(leads[1] < leads[0])
                surge = {"expedited": fast, "expedited_lead_time": leads[fast]}
                high = max(4 * demand * gap, 2 * demand * (gap + leads[fast]))
            elif target == "quantity":
                high = 4 * demand * gap
            elif len(suppliers) != 1:
                raise ValueError(
                    f"action {target!r}: {self.where} orders from {len(suppliers)} "
                    "suppliers; an order-up-to level needs one"
                )
            else:
                echelon = below if target == "echelon_position" else ()
                lead = slots + sum(
                    _arrival_slots(edges)
                    for k, edges in enumerate(probe._suppliers)
                    if probe.sku_names[k] in echelon
                )
                high = 2 * demand * (gap + lead)
                if target == "reorder":
                    high += 4 * demand * gap
            self.mapping = ActionMapping(
                "discrete",
                0.0,
                float(max(1, math.ceil(high))),
                suppliers=len(suppliers),
                **prices,
                target=target,
                **surge,
            )
        if self.mapping.suppliers != len(suppliers):
            raise ValueError(
                f"action: the mapping orders from {self.mapping.suppliers} suppliers, "
                f"{self.where} has {len(suppliers)}"
            )
        if self.mapping.price_step and market is None:
            raise ValueError(
                f"action: the mapping sets prices, but {self.where} is not a firm of a "
                "market (give options={'market': ...} naming it)"
            )
        self.policies[self.learner] = External(self.layout.observes)  # what the layout needs
        self.fingerprint = fingerprint(graph, self.learner, self.options)
        self.observation_space = spaces.Box(-np.inf, np.inf, (self.layout.size,), np.float32)
        m = self.mapping
        if m.price_step:  # the quantities, then the price
            if m.kind == "continuous":
                self.action_space = spaces.Box(-1.0, 1.0, (m.dims,), np.float32)
            else:
                self.action_space = spaces.MultiDiscrete(m.nvec)
        elif m.kind == "continuous":
            self.action_space: spaces.Space = spaces.Box(-1.0, 1.0, (m.dims,), np.float32)
        elif m.dims == 1:
            self.action_space = spaces.Discrete(m.n)
        else:
            self.action_space = spaces.MultiDiscrete(m.nvec)

    def adopt(self, env: Any, seed: int) -> None:
        """Give an environment what both kinds have: learner, layout, mapping, ..."""
        env.learner, env.sku = self.learner, self.sku
        env.layout, env.mapping = self.layout, self.mapping
        env.fingerprint, env.periods, env.reward_kind = self.fingerprint, self.periods, self.reward
        env.alpha, env.finite_horizon = self.alpha, bool(self.layout.horizon)
        env._first_seed, env._started = seed, False


def learner_layout(
    graph: nx.DiGraph, policies: Mapping[Any, Policy], learner: Any, options: Mapping[str, Any]
) -> tuple[ObservationLayout, str]:
    """The default observation layout of ``learner`` and its :func:`fingerprint`: what a
    policy trained there by :class:`InventoryEnv` or :class:`InventoryVectorEnv` expects."""
    setup = _Setup(graph, policies, learner, options, None, None)
    return setup.layout, setup.fingerprint


def _from_scenario(cls: type, scenario: Any, learner: Any, *args: Any, **kwargs: Any) -> Any:
    """``cls`` over a ``scenarios.Scenario``: its network, modules, engine options (``options``
    adds to them) and seed (unless ``seed`` is given)."""
    graph = scenario.network()
    options = {**scenario.options, **kwargs.pop("options", {})}
    seed = kwargs.pop("seed", int(scenario.seed))
    return cls(
        graph, scenario.policies(graph), learner, *args, options=options, seed=seed, **kwargs
    )


def _with_initial_state(
    options: Mapping[str, Any] | None, initial_state: InitialState | Mapping[str, Any] | None
) -> dict[str, Any]:
    """The engine options with ``initial_state`` among them (when given)."""
    options = dict(options or {})
    if initial_state is not None:
        options["initial_state"] = initial_state
    return options


def _next_review(
    model: Any, decision: Any, layout: ObservationLayout, nothing: Any, until: int, observe: bool
):
    """The next decision in a review epoch: in the periods between, the learner orders
    ``nothing`` (its money still accrues to the next reward)."""
    while decision is not None and layout.epoch(decision.period) is None:
        decision = model.advance(nothing, until=until, observe=observe)
    return decision


def _next_review_period(model: Any, period: int | None, layout: ObservationLayout, until: int):
    """:func:`_next_review` for a single environment, by periods (``None``: ``until`` came)."""
    while period is not None and layout.epoch(period) is None:
        period = model.advance_period(0.0, until=until)
    return period


def _first_decision(model: Any, layout: ObservationLayout, nothing: Any, until: int, observe: bool):
    decision = model.advance(until=until, observe=observe)
    decision = _next_review(model, decision, layout, nothing, until, observe)
    if decision is None:
        raise ValueError(
            f"periods: the learner never decides within an episode of {until} periods; "
            "give longer episodes"
        )
    return decision


def _arrival_slots(edges: Any) -> int:
    """Periods from an order on these supply edges to its arrival, the longest one rounded
    up (``_longest`` lead time plus the order's information delay)."""
    return max((math.ceil(_longest(e.lead_time) + e.order_lead_time) for e in edges), default=0)


def _longest(lead_time: Any) -> float:
    """A lead time that shipments rarely exceed (periods): the value of a constant, else the
    mean plus three standard deviations where the distribution has one, else twice the mean
    (the layout's last arrival slot holds what comes later)."""
    value = getattr(lead_time, "value", None)
    if value is not None:
        return float(value)
    std = getattr(lead_time, "std", None)
    return lead_time.mean + 3 * std if std is not None else 2 * lead_time.mean


class InventoryEnv(gym.Env):
    """One stock point decided by a learner, over the event engine.

    Args:
        graph: the network.
        policies: the decision module of every stocking node, or ``(node, product)`` (the
            learner's is replaced).
        learner: the node the agent decides for, or its ``(node, product)`` SKU (see the
            module docstring; the environment's ``learner``, ``sku`` and ``fingerprint``
            attributes say which).
        periods: periods per episode (truncated after them, or the horizon: ``finite_horizon``).
        options: engine options (``decide``, ``review``, ...; see
            :class:`~sim.model.SupplyChainModel`).
        action: how actions become orders (default: see the module docstring), or a
            ``target`` of :class:`~sim.spaces.ActionMapping` (``"position"``,
            ``"echelon_position"``: order-up-to levels; ``"reorder"``: a reorder point and
            a level; ``"base_surge"``) on the default range for it.
        scale: observation scale (default: mean customer demand of the learner's product
            through it).
        reward: ``"cost"`` (negative cost per period) or ``"profit"``.
        alpha: weight of the learner's own reward; ``1 - alpha`` goes on the network's
            (every stocking node's, heuristic teammates' included: the team's objective),
            as in :mod:`sim.multi`. Default 1: its own.
        finite_horizon: the episode is the whole problem: the learner sees the periods left
            and the last step terminates (see the module docstring).
        seed: the seed of the first episode when ``reset`` is given none.
        initial_state: an :class:`~sim.initial.InitialState` (or a mapping of its fields):
            the learner's stock on hand and in transit (by default; its ``nodes`` may name
            others) drawn for every episode from the episode's seed. Not part of the
            :attr:`fingerprint`: a policy trained from random starts fits the network.

    Raises:
        ValueError: the learner is not a stocking node (or SKU), is a bare node of a network
            of several products, the mapping does not fit it, or ``initial_state`` is
            invalid.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learner: Any,
        *,
        periods: int = 200,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        finite_horizon: bool = False,
        seed: int = 0,
        initial_state: InitialState | Mapping[str, Any] | None = None,
    ):
        options = _with_initial_state(options, initial_state)
        setup = _Setup(
            graph, policies, learner, options, action, scale, periods, reward, alpha, finite_horizon
        )
        setup.adopt(self, seed)
        self.observation_space, self.action_space = setup.observation_space, setup.action_space
        self.model = SupplyChainModel(
            graph,
            setup.policies,
            **setup.options,
            seed=seed,
            record=False,
            track_rewards=self.alpha < 1.0,
        )
        self._index = self.model.sku_index[setup.sku]
        self._running = False  # an episode is under way (reset, not yet truncated)
        self._cost = self.reward_kind == "cost"
        # Discrete actions of one supplier, no price: step reads the order from this table
        # (what mapping.quantity(action) returns for each int action) instead of calling the
        # mapping, which checks anything else and says what is wrong.
        m = self.mapping
        plain = (
            m.kind == "discrete" and m.suppliers == 1 and not m.price_step and not m.orders_up_to
        )
        self._plain_orders = {a: m.quantity(a) for a in range(m.n)} if plain else {}
        # the learner's own cost every period: the engine's step_learner does the whole step
        self._fused = self._cost and not self.layout.review_cycle and self.alpha == 1.0
        self._others = [j for j in range(len(self.model.sku_names)) if j != self._index]

    @classmethod
    def from_scenario(cls, scenario: Any, learner: Any, **kwargs: Any) -> InventoryEnv:
        """An environment over a ``scenarios.Scenario`` (its network, modules, options and
        seed)."""
        return _from_scenario(cls, scenario, learner, **kwargs)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode: with ``seed`` it is the engine run of that seed (common random
        numbers with any other policy run on that seed); without, the next seed drawn from
        the environment's generator."""
        super().reset(seed=seed)
        if seed is None:
            seed = self._first_seed if not self._started else int(self.np_random.integers(2**31))
        self._started = True
        self.model.reset(seed)
        period = _first_decision(self.model, self.layout, 0.0, self.periods, False).period
        self._running = True
        obs = self.model.observe_vector(self._index, period, self.layout)
        return obs, {"period": period, "seed": seed}

    @property
    def _decision(self) -> Decision | None:
        """The learner's waiting decision, its observation left out (``None`` between
        episodes): ``step`` keeps no :class:`~sim.model.Decision`, the engine knows it."""
        return self.model._decision(False) if self._running else None

    def step(self, action: Any):
        """Order ``action`` and run to the learner's next decision (see the module
        docstring). The engine hands out no observation tuple and the layout checks
        nothing per step (both were checked when the environment was built): the vector
        is read straight from the engine's state."""
        if not self._running:
            raise RuntimeError("step: call reset() first (or after the episode was truncated)")
        quantity = self._plain_orders.get(action) if type(action) is int else None
        if quantity is None:  # not a plain discrete action: the mapping checks it
            if self.mapping.orders_up_to:
                quantity = self.mapping.quantity(action, self.model._decision().observation)
            else:
                quantity = self.mapping.quantity(action)
        if self._fused:
            obs, cost, period = self.model.step_learner(quantity, self.periods, self.layout)
            if period is not None:
                return obs, -cost, False, False, {"period": period}
            self._running = False
            end = self.finite_horizon
            return obs, -cost, end, not end, {"period": self.model.period}
        model, layout, periods, i = self.model, self.layout, self.periods, self._index
        period = model.advance_period(quantity, until=periods)
        if layout.review_cycle:
            period = _next_review_period(model, period, layout, periods)
        if self.alpha < 1.0:
            own = np.array(model.take_reward_of(i))
            team = own + np.sum([model.take_reward_of(j) for j in self._others], axis=0)
            reward = float(mixed_rewards(own, team, self.alpha, self.reward_kind))
        else:
            reward = -model.take_cost_of(i) if self._cost else model.take_profit_of(i)
        ended = period is None
        if ended:
            self._running = False
            period = model.period
        obs = model.observe_vector(i, period, layout)
        end = ended and self.finite_horizon
        return obs, reward, end, ended and not end, {"period": period}


class InventoryVectorEnv(VectorEnv):
    """``num_envs`` copies of one network, each with its own seed, in the vectorized engine;
    the learner decides for its stock point in every copy at once.

    Same arguments as :class:`InventoryEnv`, plus ``num_envs`` and ``stagger``. Copy ``k``
    of the episodes started by ``reset(seed=s)`` is the engine run of seed ``s + k``. Each
    copy keeps its own episode clock. After the step that truncates a copy's episode, the
    next ``step`` ignores that copy's action and hands out the first observation of its new
    episode with reward 0 (gymnasium's next-step autoreset):

    * when every copy's episode ended at that step (the default: episodes of ``periods``
      periods started together), all start anew as ``reset()`` starts them, copy ``k`` with
      seed ``s + k`` for one seed ``s`` drawn from the environment's generator;
    * otherwise each ending copy starts alone, with a seed of its own drawn from that
      generator (``model.copy_seeds[k]``), while the others run on
      (:meth:`~sim.vector.VectorizedSupplyChainModel.reset_copies`); its new episode is
      the run of that seed from period 0, to the bit, and begins in the period after the
      autoreset step's (the copy idles through that step's period, and what it costs is
      dropped).

    Args:
        stagger: end the copies' first episodes one after the other: copy ``k``'s first
            episode lasts ``periods - (k * periods) // num_envs`` periods, so that the
            copies' later episodes start spread over ``periods`` (rollouts of a fixed number
            of steps then mix early and late periods of episodes in every copy). Not for a
            learner that reviews at uneven epochs (copies share the review calendar), nor
            with ``finite_horizon`` (copies share the period the batch observes).

    Raises:
        ValueError: as :class:`InventoryEnv`, or ``num_envs`` or ``stagger`` is invalid.
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        graph: nx.DiGraph,
        policies: Mapping[Any, Policy],
        learner: Any,
        num_envs: int,
        *,
        periods: int = 200,
        options: Mapping[str, Any] | None = None,
        action: ActionMapping | str | None = None,
        scale: float | None = None,
        reward: Reward = "cost",
        alpha: float = 1.0,
        finite_horizon: bool = False,
        seed: int = 0,
        initial_state: InitialState | Mapping[str, Any] | None = None,
        stagger: bool = False,
    ):
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs: must be an integer >= 1, got {num_envs!r}")
        if not isinstance(stagger, bool):
            raise ValueError(f"stagger: must be True or False, got {stagger!r}")
        options = _with_initial_state(options, initial_state)
        setup = _Setup(
            graph, policies, learner, options, action, scale, periods, reward, alpha, finite_horizon
        )
        if stagger and setup.layout.review_cycle:
            raise ValueError(
                f"stagger: the learner reviews at uneven epochs (a cycle of "
                f"{setup.layout.review_cycle} periods), which all copies share; give stagger=False"
            )
        if stagger and finite_horizon:
            raise ValueError(
                "stagger: a finite-horizon learner sees the periods left, which copies observed "
                "in one batch share; give stagger=False"
            )
        setup.adopt(self, seed)
        self.num_envs = num_envs
        self.stagger = stagger
        self.single_observation_space = setup.observation_space
        self.single_action_space = setup.action_space
        self.observation_space = gym.vector.utils.batch_space(setup.observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(setup.action_space, num_envs)
        self.model = VectorizedSupplyChainModel(
            graph,
            setup.policies,
            **setup.options,
            copies=[seed + k for k in range(num_envs)],
            record=False,
            track_rewards=self.alpha < 1.0,
        )
        node, product = setup.sku
        self._index = np.array([self.model.sku_index[(k, node), product] for k in range(num_envs)])
        self._all_ended = False  # every copy's episode ended at the last step
        self._end = np.full(num_envs, periods)  # the model's period each episode ends at
        self._restarting = np.zeros(num_envs, dtype=bool)  # ended at the last step, alone
        self._period = 0  # the model's period of the pending decision
        self._observed = None  # its observations

    @classmethod
    def from_scenario(
        cls, scenario: Any, learner: Any, num_envs: int, **kwargs: Any
    ) -> InventoryVectorEnv:
        """A vector environment over a ``scenarios.Scenario``."""
        return _from_scenario(cls, scenario, learner, num_envs, **kwargs)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start new episodes in every copy: copy ``k`` runs seed ``seed + k`` (see the class
        docstring for ``stagger``)."""
        if seed is not None:
            self._np_random, _ = gym.utils.seeding.np_random(seed)
        if seed is None:
            seed = self._first_seed if not self._started else int(self.np_random.integers(2**31))
        self._started = True
        n, periods = self.num_envs, self.periods
        self.model.reset(copies=[seed + k for k in range(n)])
        nothing = np.zeros(n)
        decision = _first_decision(self.model, self.layout, nothing, periods, True)
        self._check(decision)
        self._all_ended = False
        self._restarting[:] = False
        self._end[:] = periods
        if self.stagger:
            self._end -= np.arange(n) * periods // n
        self._period = decision.period
        self._observed = decision.observation  # what an order-up-to action is measured on
        return self.layout.batch(decision.observation), {}

    def step(self, actions: Any):
        n = self.num_envs
        if self._all_ended:  # next-step autoreset of every copy: this step starts new episodes
            obs, _ = self.reset()
            zeros = np.zeros(n, dtype=bool)
            return obs, np.zeros(n), zeros, zeros.copy(), {}
        model, layout = self.model, self.layout
        quantities = self.mapping.quantities(
            np.asarray(actions).reshape(n, self.mapping.entries), self._observed
        )
        if self.mapping.suppliers == 1:
            quantities = quantities[:, 0]
        restarting = self._restarting
        if restarting.any():  # their actions are ignored: they restart when this period ends
            quantities[restarting] = 0.0
            until = self._period + 1
        else:
            until = int(self._end.min())
        decision = model.advance(quantities, until=until)
        decision = _next_review(model, decision, layout, np.zeros_like(quantities), until, True)
        ending = np.zeros(n, dtype=bool)
        last = None
        if decision is None:  # the model stands between periods: episodes end or begin here
            ending = self._end == until
            if ending.all():
                self._all_ended = True
                obs = layout.batch(model.observe_batch(self._index))
                none = np.zeros(n, dtype=bool)
                terminated, truncated = (ending, none) if self.finite_horizon else (none, ending)
                return obs, self._rewards(), terminated, truncated, {}
            if ending.any():  # their episodes' last observations, before the period begins
                last = layout.batch(model.observe_batch(self._index[ending]))
            if restarting.any():
                starting = np.flatnonzero(restarting).tolist()
                model.reset_copies({k: int(self.np_random.integers(2**31)) for k in starting})
            decision = model.advance(until=until + 1)
        self._check(decision)
        obs = layout.batch(decision.observation)
        if last is not None:
            obs[ending] = last
        # an ending copy idles through the next period, then its new episode begins
        self._end[ending] = until + 1 + self.periods
        self._restarting = ending
        self._period = decision.period
        self._observed = decision.observation
        return obs, self._rewards(), np.zeros(n, dtype=bool), ending, {}

    def _rewards(self) -> np.ndarray:
        """Every copy's reward of the periods closed since the last step."""
        own = self.model.take_rewards(self._index)
        team = own + money_per_copy(self.model, self._index) if self.alpha < 1.0 else own
        return mixed_rewards(own, team, self.alpha, self.reward_kind)

    def _check(self, decision: Any) -> None:
        if decision is None or not np.array_equal(decision.index, self._index):
            raise RuntimeError(
                "the learner's stock points did not decide together; the vector environment "
                "needs one decision of all copies per period"
            )
