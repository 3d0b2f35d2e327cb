"""The decision boundary for learners: EXTERNAL stock points, advance, reset, rewards,
pickling, and the engine's errors on bad actions."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import re

import numpy as np
import pandas as pd
import pytest

from agents import BaseStock
from networks import serial
from scenarios import resolve
from scenarios.library import builtin_names
from sim import (
    COST_COLUMNS,
    ENGINES,
    EXTERNAL,
    External,
    PolicyError,
    SupplyChainModel,
    VectorizedSupplyChainModel,
)
from sim.env import InventoryEnv
from sim.policy import InventoryObservation
from sim.spaces import ObservationLayout

PERIODS = 60


def _scenario_model(name: str, engine: str, external: bool | str, seed: int = 3):
    """The scenario's model, its stock points decided from outside if ``external`` (every
    other one by an :class:`External` observing nothing if ``external == "mixed"``)."""
    scenario = resolve(name)
    graph = scenario.network()
    policies = scenario.policies(graph)
    played = {
        n: (m.spawn() if callable(getattr(m, "spawn", None)) else m) for n, m in policies.items()
    }
    if external:
        blind = External(observes=frozenset()) if external == "mixed" else EXTERNAL
        policies = {n: (blind if k % 2 else EXTERNAL) for k, n in enumerate(policies)}
    options = {**scenario.options, "seed": seed}
    fixed = VectorizedSupplyChainModel.FIXED_OPTIONS.items()
    if engine == "vectorized" and any(options.get(k, v[0]) not in v for k, v in fixed):
        pytest.skip(f"{name} uses options the vectorized engine fixes")
    market = scenario.market(graph)
    if market is not None:  # a pricing scenario: the event engine only (sim.market)
        if engine == "vectorized":
            pytest.skip(f"{name} has a market, which the vectorized engine does not run")
        options["market"] = market
    return ENGINES[engine](graph, policies, **options), played


def _play(model, played, until):
    """Answer every decision with the module the scenario gives that stock point (its own,
    else its node's)."""

    def module(i):
        sku = model.sku_names[i]
        return played[sku] if sku in played else played[sku[0]]

    decision = model.advance(until=until)
    while decision is not None:
        if isinstance(decision.index, np.ndarray):  # a whole echelon of one engine step
            action = [
                module(i).act(model.observe(i, decision.period)) for i in decision.index.tolist()
            ]
            action = np.array([float(np.sum(a)) if np.ndim(a) == 0 else a for a in action])
        else:
            action = module(decision.index).act(decision.observation)
        decision = model.advance(action, until=until)


@pytest.mark.parametrize("engine", ["event", "vectorized"])
@pytest.mark.parametrize("name", builtin_names())
def test_heuristics_played_from_outside_give_the_engines_table(name, engine):
    inside, _ = _scenario_model(name, engine, external=False)
    inside.run(PERIODS)
    outside, played = _scenario_model(name, engine, external=True)
    _play(outside, played, PERIODS)
    assert outside.period == PERIODS
    pd.testing.assert_frame_equal(inside.results(), outside.results(), check_exact=True)


@pytest.mark.parametrize("engine", ["event", "vectorized"])
@pytest.mark.parametrize("name", ["owmr_lost_sales", "one_warehouse_multi_retailer"])
def test_stock_points_of_one_echelon_observing_differently_all_decide(name, engine):
    # the vectorized engine asks each group of external stock points of an echelon in turn
    inside, _ = _scenario_model(name, engine, external=False)
    inside.run(PERIODS)
    outside, played = _scenario_model(name, engine, external="mixed")
    _play(outside, played, PERIODS)
    pd.testing.assert_frame_equal(inside.results(), outside.results(), check_exact=True)


@pytest.mark.parametrize("decide", ["start", "end"])
@pytest.mark.parametrize("arrivals", ["batch", "poisson"])
def test_continuous_review_played_from_outside_gives_the_engines_table(arrivals, decide):
    """Under continuous review a Poisson customer's review is an event of its own for an
    external stock point: the engine stops there and does not consult its module. Inside,
    the review runs at once with the customer's event: the same table."""
    graph, _ = _chain()
    played = {"stage1": BaseStock(level=10), "stage2": BaseStock(level=12)}
    options = {"review": "continuous", "decide": decide, "arrivals": arrivals, "seed": 2}
    inside = SupplyChainModel(graph, played, **options)
    inside.run(20)
    outside = SupplyChainModel(graph, EXTERNAL, **options)
    _play(outside, played, 20)
    assert outside.period == 20
    pd.testing.assert_frame_equal(inside.results(), outside.results(), check_exact=True)


def _chain(**options):
    graph = serial(
        2,
        lead_time=2,
        holding_cost=[2, 1],
        backlog_cost=[9, 0],
        demand={"dist": "poisson", "mean": 4},
    )
    return graph, {"stage1": EXTERNAL, "stage2": BaseStock(level=12)}


@pytest.mark.parametrize("decide", ["start", "end"])
def test_a_decision_is_exactly_what_the_module_would_have_seen(decide):
    graph, policies = _chain()
    seen = []

    class Recording:
        def act(self, obs):
            seen.append(obs)
            return BaseStock(level=10).act(obs)

    inside = SupplyChainModel(graph, {**policies, "stage1": Recording()}, decide=decide, seed=2)
    inside.run(30)
    outside = SupplyChainModel(graph, policies, decide=decide, seed=2)
    decisions = []
    decision = outside.advance(until=30)
    while decision is not None:
        decisions.append(decision)
        decision = outside.advance(BaseStock(level=10).act(decision.observation), until=30)
    assert [d.period for d in decisions] == list(range(30))
    strip = ("echelon_inventory_position", "arrivals")  # EXTERNAL observes the optional fields
    assert [d.observation._replace(**dict.fromkeys(strip)) for d in decisions] == seen


@pytest.mark.parametrize("scale", [1.0, 5.0, 4.3, 0.7, 1e-30, 123456.789])
def test_a_layouts_writer_divides_as_numpy_does_to_the_bit(scale):
    """The writer behind observe_vector (float32 quotients made in double and remembered)
    gives vector_of_values' float32 division bit for bit: whole and fractional values,
    signed zeros, subnormals, overflow, infinities, NaN; remembered vectors (a zero's sign
    included); also after pickling."""
    awkward = [0.0, -0.0, 3, 1e-45, 1e-40, 3.5e38, 1e300, -1e-320, 16777217.0, 0.1, 1 / 3]
    awkward += [float("inf"), -float("inf"), float("nan")]
    rng = np.random.default_rng(1)
    for layout in (
        ObservationLayout(arrival_slots=2, scale=scale),
        ObservationLayout(arrival_slots=2, scale=scale, review_cycle=3, review_epochs=(0, 2)),
    ):
        writer = layout.writer()
        n = 4 + layout.suppliers + layout.arrival_slots
        for trial in range(600):
            if trial % 3 == 0:
                values = rng.integers(-30, 60, size=n).astype(float).tolist()
            elif trial % 3 == 1:
                values = (rng.normal(size=n) * 10 ** rng.uniform(-45, 40, size=n)).tolist()
            else:
                values = [awkward[k] for k in rng.integers(len(awkward), size=n)]
            with np.errstate(all="ignore"):
                expected = layout.vector_of_values(trial, list(values))
            assert writer.vector(trial, values).tobytes() == expected.tobytes(), values
            assert writer.vector(trial, values).tobytes() == expected.tobytes(), values
        for zero in (0.0, -0.0, 0.0):
            zeros = layout.vector_of_values(trial, [zero] * n)
            assert writer.vector(trial, [zero] * n).tobytes() == zeros.tobytes()
        again = pickle.loads(pickle.dumps(writer))
        assert again.vector(trial, values).tobytes() == expected.tobytes()


@pytest.mark.parametrize("capacity", [math.inf, 3.5])
@pytest.mark.parametrize("lead_time", [1, 3])
@pytest.mark.parametrize("engine", [SupplyChainModel, VectorizedSupplyChainModel])
def test_observation_vectors_read_from_the_state_are_the_layouts(engine, lead_time, capacity):
    """observe_vector, which environments call every step, is layout.vector(observe(...))
    bit for bit: fractional levels, folded arrival slots (one arrival date or several),
    echelon positions, epochs, stock in process (a capacity) in the pipeline."""
    graph = serial(
        2,
        lead_time=lead_time,
        holding_cost=[2, 1],
        backlog_cost=[9, 0],
        demand={"dist": "normal", "mean": 4.3, "std": 1.7},
    )
    graph.nodes["stage1"]["capacity"] = capacity
    model = engine(graph, {"stage1": EXTERNAL, "stage2": BaseStock(level=15.5)}, seed=4)
    layouts = [
        ObservationLayout(),
        ObservationLayout(arrival_slots=1, scale=4.3),
        ObservationLayout(arrival_slots=2, echelon=True, scale=3.0),
        ObservationLayout(arrival_slots=6, review_cycle=3, review_epochs=(0, 2), scale=0.7),
    ]
    decision, checked = model.advance(until=40), 0
    while decision is not None:
        i = int(np.atleast_1d(decision.index)[0])
        observation = model.observe(i, decision.period)
        for layout in layouts:
            np.testing.assert_array_equal(
                model.observe_vector(i, decision.period, layout), layout.vector(observation)
            )
            checked += 1
        action = 6.25 if decision.period % 2 else 0.5
        decision = model.advance(
            np.array([action]) if engine is VectorizedSupplyChainModel else action, until=40
        )
    assert checked == 40 * len(layouts)


@pytest.mark.parametrize("decide", ["start", "end"])
@pytest.mark.parametrize("learner", ["stage1", "stage2"])
def test_step_learner_is_advance_period_then_cost_then_observation(decide, learner):
    """step_learner, an environment's step in one call, gives what advance_period,
    take_cost_of and observe_vector give one after the other, to the bit, up to the end
    of the run, whether the learner decides first or last in its period; a wrong action is
    refused with advance's message and leaves the decision waiting."""
    graph = serial(
        2,
        lead_time=[1, 2],
        holding_cost=[2, 1],
        backlog_cost=[9, 0],
        demand={"dist": "normal", "mean": 4.3, "std": 1.7},
    )
    policies = {"stage1": BaseStock(level=12.5), "stage2": BaseStock(level=15.5)}
    policies[learner] = EXTERNAL
    fused, apart = (SupplyChainModel(graph, policies, decide=decide, seed=4) for _ in range(2))
    layout = ObservationLayout(arrival_slots=2, scale=4.3)
    i = fused.sku_index[learner, fused.products[0]]
    period = fused.advance(until=30).period
    assert apart.advance(until=30).period == period
    for step in range(40):
        action = [6.25, 0.0, 3, np.float64(2.5)][step % 4]
        obs, cost, period = fused.step_learner(action, until=30, layout=layout)
        expected_period = apart.advance_period(action, until=30)
        assert (period, cost) == (expected_period, apart.take_cost_of(i))
        t = apart.period if period is None else period
        assert obs.tobytes() == apart.observe_vector(i, t, layout).tobytes()
        if period is None:
            break
        with pytest.raises(ValueError) as refused:
            fused.step_learner(-1.0, until=30, layout=layout)
        with pytest.raises(ValueError) as expected:
            apart.advance_period(-1.0, until=30)
        assert str(refused.value) == str(expected.value)
    assert step == 29 and fused.period == apart.period == 30
    with pytest.raises(ValueError, match="no decision is waiting"):
        fused.step_learner(1.0, until=31, layout=layout)


def test_rewards_equal_the_tables_money_and_need_no_table():
    graph, policies = _chain()
    recorded = SupplyChainModel(graph, policies, seed=5, decide="start")
    quiet = SupplyChainModel(graph, policies, seed=5, decide="start", record=False)
    costs = []
    decisions = [recorded.advance(), quiet.advance()]
    for _ in range(40):
        decisions = [m.advance(7.0) for m in (recorded, quiet)]
        rewards = [m.take_reward("stage1") for m in (recorded, quiet)]
        assert rewards[0] == rewards[1]
        costs.append(rewards[0].cost)
    assert all(d.period == 40 for d in decisions)
    table = recorded.results()
    mine = table[table.node == "stage1"].iloc[:40]
    expected = mine[list(COST_COLUMNS)].sum(axis=1).to_numpy()
    # the reward handed out with decision t + 1 is period t's money
    assert costs == pytest.approx(expected[:40].tolist(), abs=0)
    with pytest.raises(ValueError, match="not kept"):
        recorded.take_reward("stage2")


@pytest.mark.parametrize("engine", [SupplyChainModel, VectorizedSupplyChainModel])
def test_pickle_and_deepcopy_in_the_middle_of_a_decision(engine):
    graph, policies = _chain()
    model = engine(graph, policies, seed=8)
    decision = model.advance(until=50)
    for _ in range(10):
        decision = model.advance(
            np.array([6.0]) if engine is VectorizedSupplyChainModel else 6.0, until=50
        )
    clones = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model)]
    for m in [model, *clones]:
        d = decision
        while d is not None:
            d = m.advance(
                np.array([5.0]) if engine is VectorizedSupplyChainModel else 5.0, until=50
            )
    for clone in clones:
        pd.testing.assert_frame_equal(model.results(), clone.results(), check_exact=True)


@pytest.mark.parametrize("engine", [SupplyChainModel, VectorizedSupplyChainModel])
def test_reset_equals_a_fresh_model(engine):
    graph, _ = _chain()
    policies = {"stage1": BaseStock(level=10), "stage2": BaseStock(level=12)}
    model = engine(graph, policies, seed=1)
    model.run(25)
    model.reset(seed=9)
    model.run(40)
    fresh = engine(graph, policies, seed=9)
    fresh.run(40)
    pd.testing.assert_frame_equal(model.results(), fresh.results(), check_exact=True)
    assert model.random.random() == fresh.random.random()  # Mesa's generators too
    assert model.rng.random() == fresh.rng.random()
    model.reset()  # the same seed again
    model.run(40)
    pd.testing.assert_frame_equal(model.results(), fresh.results(), check_exact=True)


def test_the_collector_is_on_when_a_decision_is_handed_out():
    graph, policies = _chain()
    model = SupplyChainModel(graph, policies, seed=1)
    model.advance()
    assert gc.isenabled()


def test_run_and_advance_refuse_what_they_cannot_do():
    graph, policies = _chain()
    model = SupplyChainModel(graph, policies, seed=1)
    with pytest.raises(ValueError, match="decided from outside"):
        model.run(3)
    with pytest.raises(ValueError, match="waiting for its action"):
        model.run(3)
    with pytest.raises(ValueError, match="is waiting for its action"):
        model.advance()
    quiet = SupplyChainModel(graph, {"stage1": BaseStock(level=3), "stage2": BaseStock(level=3)})
    with pytest.raises(ValueError, match="no stock point is decided from outside"):
        quiet.advance()
    with pytest.raises(ValueError, match="no decision is waiting"):
        quiet.advance(4.0, until=3)


@pytest.mark.parametrize("bad", ["5", True, -1.0, float("nan"), [1.0, 2.0], None])
def test_bad_actions_are_refused_naming_the_node(bad):
    graph, policies = _chain()
    model = SupplyChainModel(graph, policies, seed=1)
    model.advance()
    with pytest.raises(ValueError, match=r"^node 'stage1' product"):
        model.advance(bad)


def test_numpy_numbers_are_quantities_and_periods():
    graph, policies = _chain()
    model = SupplyChainModel(graph, {**policies, "stage1": BaseStock(level=4)}, seed=1)
    model.run(np.int64(5))
    assert model.period == 5
    model = SupplyChainModel(graph, policies, seed=1)
    model.advance()
    assert model.advance(np.float32(3.0)).period == 1
    assert model.advance(np.int64(3)).period == 2


def test_unknown_policy_names_and_failing_modules_are_named():
    graph, _ = _chain()
    with pytest.raises(ValueError, match=r"'stage3' is not a stocking node.*did you mean 'stage2'"):
        SupplyChainModel(
            graph,
            {
                "stage1": BaseStock(level=1),
                "stage2": BaseStock(level=1),
                "stage3": BaseStock(level=1),
            },
        )

    with pytest.raises(ValueError, match=r"^policies: 'source' is a source \(unlimited supply\)"):
        SupplyChainModel(graph, {"source": BaseStock(level=1), "stage1": BaseStock(level=1)})
    with pytest.raises(ValueError, match=r"^policies: \('source', 'item'\) is a source"):
        SupplyChainModel(graph, {("source", "item"): BaseStock(level=1)})

    class Broken:
        def act(self, obs):
            raise ZeroDivisionError("oops")

    model = SupplyChainModel(graph, {"stage1": Broken(), "stage2": BaseStock(level=1)})
    with pytest.raises(PolicyError, match=r"^node 'stage1' product .*ZeroDivisionError: oops"):
        model.run(2)


def test_negative_warmup_is_refused():
    graph, _ = _chain()
    model = SupplyChainModel(graph, BaseStock(level=5), seed=1)
    model.run(10)
    with pytest.raises(ValueError, match="warmup: must be an integer >= 0"):
        model.cost_per_period(warmup=-5)


def test_each_copy_is_the_model_of_its_own_seed():
    graph, _ = _chain()
    policies = {"stage1": BaseStock(level=10), "stage2": BaseStock(level=12)}
    seeds = [3, 5, 7]
    copies = VectorizedSupplyChainModel(graph, policies, copies=seeds)
    copies.run(30)
    table = copies.results()

    def copy(frame, k):  # the table names node v of copy k "(k, 'v')"
        mine = frame[frame.node.str.startswith(f"({k}, ")].reset_index(drop=True)
        mine["node"] = mine.node.astype(str).str.extract(r"'(.*)'")[0]
        return mine.astype({"node": "category"})

    for k, seed in enumerate(seeds):
        single = SupplyChainModel(graph, policies, seed=seed)
        single.run(30)
        expected = single.results().astype({"node": str}).astype({"node": "category"})
        pd.testing.assert_frame_equal(expected, copy(table, k), check_exact=True)
    copies.reset(copies=[7, 3, 5])  # new seeds per copy, without rebuilding
    copies.run(30)
    assert copy(copies.results(), 1).equals(copy(table, 0))


def test_copies_decide_together_and_hand_out_rewards_per_copy():
    graph, policies = _chain()
    model = VectorizedSupplyChainModel(graph, policies, copies=[1, 2, 3, 4], record=False)
    decision = model.advance()
    assert decision.index.shape == (4,)
    assert decision.observation.arrivals.shape[0] == 4
    assert decision.observation.pipeline_by_supplier.shape == (4, 1)
    decision = model.advance(np.array([9.0, 0.0, 9.0, 0.0]))
    money = model.take_rewards(decision.index)
    assert money.shape == (4, 6)
    assert (money[[0, 2], 3] == money[0, 3]).all()  # ordering cost follows the order
    with pytest.raises(ValueError, match="expected 4 actions"):
        model.advance(np.array([1.0, 2.0]))


@pytest.mark.parametrize("decide", ["start", "end"])
def test_both_engines_stand_at_the_same_point_after_an_action_with_a_past_until(decide):
    """advance(action, until=u) with u <= period carries out the rest of the period's step
    (not its close) in both engines, so their state agrees between the two calls."""
    graph, policies = _chain()
    models = [engine(graph, policies, seed=6, decide=decide) for engine in ENGINES.values()]
    for model in models:  # one quantity per supplier: an action both engines take
        assert model.advance(until=5).period == 0
        for _ in range(4):
            model.advance(np.array([4.0]), until=5)
    assert [m.period for m in models] == [4, 4]
    assert [m.advance(np.array([9.0]), until=4) for m in models] == [None, None]
    for i in range(2):
        seen = [m.observe(i, 4) for m in models]
        assert seen[0] == seen[1]
    assert seen[0].demand == 9.0  # stage2 took stage1's order of 9 in period 4
    for model in models:
        decision = model.advance(until=12)
        while decision is not None:
            decision = model.advance(np.array([5.0]), until=12)
    pd.testing.assert_frame_equal(models[0].results(), models[1].results(), check_exact=True)


def test_a_refused_action_leaves_the_decision_waiting():
    graph, policies = _chain()
    model = SupplyChainModel(graph, policies, seed=1)
    decision = model.advance(until=10)
    for bad in (-1.0, np.array(True)):
        with pytest.raises(ValueError, match=r"^node 'stage1'"):
            model.advance(bad, until=10)
    assert model.advance(5.0, until=10).period == decision.period + 1


def test_vectorized_errors_name_the_waiting_node():
    graph, policies = _chain()
    model = VectorizedSupplyChainModel(graph, policies, copies=[1, 2])
    with pytest.raises(ValueError, match=r"node \(0, 'stage1'\) .* decided from outside"):
        model.run(3)
    with pytest.raises(ValueError, match=r"node \(0, 'stage1'\) .* waiting for its action"):
        model.advance()
    copies = VectorizedSupplyChainModel(
        graph, {**policies, "stage1": BaseStock(level=4)}, copies=[1]
    )
    with pytest.raises(ValueError, match="not kept"):
        copies.take_rewards(np.array([0]))


def test_long_lists_of_nodes_in_errors_are_cut_short():
    """A network of thousands of nodes names a dozen of them, and how many more, not all."""
    graph = serial(40)
    stocking = sorted(f"stage{k}" for k in range(1, 41))
    expected = re.escape(f"stocking nodes: {stocking[:12]} and 28 more") + "$"
    with pytest.raises(ValueError, match=r"'warehouse' is not a stocking node.*" + expected):
        SupplyChainModel(graph, {"warehouse": BaseStock(level=1)})
    with pytest.raises(
        ValueError, match=r"^learner: 'warehouse' is not a stocking node; " + expected
    ):
        InventoryEnv(graph, {n: BaseStock(level=1) for n in stocking}, "warehouse")
    with pytest.raises(ValueError, match=r"give one per stocking node: \['stage1', 'stage10', "):
        SupplyChainModel(graph, {"stage1": BaseStock(level=1)})


def test_an_observation_has_every_field_and_the_market_ones_unset():
    """observe builds the tuple without the NamedTuple's own constructor (a frame per
    review): a field added to InventoryObservation must be added there too."""
    seen = []

    class Spy:
        def act(self, obs):
            seen.append(obs)
            return 1.0

    SupplyChainModel(serial(2), Spy(), seed=1).run(2)
    obs = seen[-1]
    assert len(obs) == len(InventoryObservation._fields)
    assert obs == InventoryObservation(*obs[:12])  # price and the market's fields: None
    assert obs.inventory_position == obs.on_hand + obs.pipeline - obs.backlog
