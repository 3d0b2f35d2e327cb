"""The Gymnasium environments: the checker, exact agreement with the engine, batching."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from agents import SS, BaseStock  # noqa: E402
from networks import random_network, serial  # noqa: E402
from scenarios import resolve  # noqa: E402
from sim import SupplyChainModel  # noqa: E402
from sim.env import InventoryEnv, InventoryVectorEnv  # noqa: E402
from sim.spaces import ActionMapping  # noqa: E402


def _base_stock_action(obs, layout, level=13):
    position = float(obs[..., 2]) * layout.scale if np.ndim(obs) == 1 else obs[:, 2] * layout.scale
    return np.clip(np.rint(level - np.asarray(position)), 0, 20).astype(np.int64)


@pytest.mark.parametrize("name", ["lost_sales", "dual_sourcing", "beer_game"])
def test_gymnasium_checker_passes(name):
    scenario = resolve(name)
    learner = next(n for n in scenario.policies())
    env = InventoryEnv.from_scenario(scenario, learner, periods=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unbounded Box: levels are unbounded
        check_env(env, skip_render_check=True)


@pytest.mark.parametrize("arrivals", ["batch", "poisson"])
def test_an_upstream_learner_under_continuous_review(arrivals):
    """It decides whenever an order reaches it (an event of its own under continuous
    review), and its episode's cost is the engine's with the same orders inside."""
    graph = serial(2, lead_time=2, holding_cost=[2, 1], backlog_cost=[9, 0])
    policies = {"stage1": BaseStock(level=10), "stage2": BaseStock(level=12)}
    options = {"review": "continuous", "arrivals": arrivals}
    env = InventoryEnv(graph, policies, "stage2", periods=30, options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_env(env, skip_render_check=True)
    env.reset(seed=3)
    total, steps, truncated = 0.0, 0, False
    while not truncated:
        _, reward, _, truncated, _ = env.step(3)
        total, steps = total + reward, steps + 1
    assert steps > 30 if arrivals == "poisson" else steps == 31
    inside = SupplyChainModel(
        graph, {**policies, "stage2": _Constant()}, **options, seed=3, record=True
    )
    inside.run(30)
    table = inside.results()
    assert -total == pytest.approx(table[table.node == "stage2"].cost.sum(), rel=1e-12)


class _Constant:
    def act(self, obs):
        return 3.0


def test_an_episode_is_the_engine_run_of_its_seed():
    scenario = resolve("lost_sales")
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=50)
    obs, _ = env.reset(seed=11)
    total, steps = 0.0, 0
    truncated = False
    while not truncated:
        obs, reward, terminated, truncated, _ = env.step(int(_base_stock_action(obs, env.layout)))
        assert not terminated
        total += reward
        steps += 1
    assert steps == 50
    model = scenario.build(seed=11)
    model.run(50)
    assert -total == pytest.approx(model.cost_per_period() * 50, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.25])
def test_a_learner_among_teammates_can_learn_the_networks_cost(alpha):
    # The beer game's retailer ordering by base stock 20 through the environments, its three
    # Sterman teammates as declared: the reward is alpha times its own period cost plus
    # 1 - alpha times the network's (all four stages), as the engine's table has them.
    scenario = resolve("beer_game")
    level = ActionMapping("discrete", 0, 40, target="position")
    venv = InventoryVectorEnv.from_scenario(
        scenario, "retailer", 3, periods=30, action=level, alpha=alpha
    )
    single = InventoryEnv.from_scenario(scenario, "retailer", periods=30, action=level, alpha=alpha)
    venv.reset(seed=5)
    single.reset(seed=6)
    rewards, single_rewards = [], []
    for _ in range(30):
        rewards.append(venv.step(np.full(3, 20))[1])
        single_rewards.append(single.step(20)[1])
    policies = {**scenario.policies(), "retailer": BaseStock(level=20)}
    for k, seed in enumerate((5, 6, 7)):
        model = SupplyChainModel(scenario.network(), policies, **scenario.options, seed=seed)
        model.run(30)
        cost = model.results().groupby(["period", "node"], observed=True)["cost"].sum().unstack()
        expected = -(alpha * cost["retailer"] + (1 - alpha) * cost.sum(axis=1)).to_numpy()
        np.testing.assert_allclose([r[k] for r in rewards], expected, rtol=1e-12, atol=1e-12)
        if seed == 6:
            np.testing.assert_allclose(single_rewards, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"alpha: must be a number in \[0, 1\], got 1.5"):
        InventoryEnv.from_scenario(scenario, "retailer", alpha=1.5)


@pytest.mark.parametrize("name", ["lost_sales", "dual_sourcing"])
def test_vector_env_copies_are_single_envs_of_consecutive_seeds(name):
    scenario = resolve(name)
    learner = next(n for n in scenario.policies())
    venv = InventoryVectorEnv.from_scenario(scenario, learner, 4, periods=20)
    singles = [InventoryEnv.from_scenario(scenario, learner, periods=20) for _ in range(4)]
    obs, _ = venv.reset(seed=100)
    single_obs = [env.reset(seed=100 + k)[0] for k, env in enumerate(singles)]
    np.testing.assert_array_equal(obs, np.stack(single_obs))
    rng = np.random.default_rng(0)
    shape = (4, venv.mapping.suppliers) if venv.mapping.suppliers > 1 else 4
    for t in range(20):
        actions = rng.integers(0, venv.mapping.n, size=shape)
        obs, rewards, terminated, truncated, _ = venv.step(actions)
        for k, env in enumerate(singles):
            o, r, _, tr, _ = env.step(actions[k])
            np.testing.assert_array_equal(obs[k], o)
            assert rewards[k] == r
            assert truncated[k] == tr == (t == 19)
    # next-step autoreset: the step after truncation starts new episodes, reward 0
    obs, rewards, terminated, truncated, _ = venv.step(np.zeros(shape, dtype=np.int64))
    assert (rewards == 0).all() and not truncated.any() and not terminated.any()


def test_multi_sourcing_learner_orders_per_supplier():
    scenario = resolve("dual_sourcing")
    learner = next(n for n in scenario.policies())
    env = InventoryEnv.from_scenario(scenario, learner, periods=5)
    assert isinstance(env.action_space, gym.spaces.MultiDiscrete)
    env.reset(seed=1)
    env.step(np.array([2, 1]))
    with pytest.raises(ValueError, match="expected 2 per decision"):
        env.step(np.array([1, 2, 3]))


def test_a_bad_row_of_a_batch_of_orders_per_supplier_names_its_stock_point():
    scenario = resolve("dual_sourcing")
    learner = next(n for n in scenario.policies())
    venv = InventoryVectorEnv.from_scenario(scenario, learner, 3, periods=5)
    venv.reset(seed=0)
    orders = np.array([[1.0, 0.0], [2.0, -1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=rf"\(1, '{learner}'\)"):
        venv.model.advance(orders, until=5)


def test_bad_learners_and_actions_are_one_line_errors():
    scenario = resolve("lost_sales")
    with pytest.raises(ValueError, match=r"^learner: 'source' is not a stocking node"):
        InventoryEnv.from_scenario(scenario, "source")
    with pytest.raises(ValueError, match=r"^learner: 'nowhere' is not a stocking node"):
        InventoryEnv.from_scenario(scenario, "nowhere")
    env = InventoryEnv.from_scenario(scenario, "stage1")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"outside the integers 0\.\.20"):
        env.step(21)
    for wrong in (np.array([1, 2]), [1, 2], np.array([[1], [2]])):
        with pytest.raises(ValueError, match=r"^action of shape \(2(, 1)?,?\): expected 1 per"):
            env.step(wrong)
    dual = resolve("dual_sourcing")
    two = InventoryEnv.from_scenario(dual, next(iter(dual.policies())))
    two.reset(seed=0)
    for scalar in (3, np.array(3)):
        with pytest.raises(ValueError, match=r"^action of shape \(\): expected 2 per decision"):
            two.step(scalar)
    with pytest.raises(ValueError, match="mapping orders from 2 suppliers"):
        InventoryEnv.from_scenario(scenario, "stage1", action=ActionMapping(suppliers=2))


def test_an_integer_in_an_array_is_the_integer_action():
    """A policy's output (a 0-d or one-element integer array) steps as the int does."""
    scenario = resolve("lost_sales")
    runs = []
    for wrap in (int, np.int64, np.array, lambda a: np.array([a])):
        env = InventoryEnv.from_scenario(scenario, "stage1", periods=20)
        env.reset(seed=4)
        runs.append([env.step(wrap(a % 9))[:2] for a in range(20)])
    for run in runs[1:]:
        for (obs, reward), (obs0, reward0) in zip(run, runs[0], strict=True):
            assert reward == reward0
            np.testing.assert_array_equal(obs, obs0)


def test_continuous_actions_map_onto_the_order_range():
    scenario = resolve("lost_sales")
    env = InventoryEnv.from_scenario(
        scenario, "stage1", action=ActionMapping("continuous", 0.0, 10.0), periods=3
    )
    assert env.action_space.shape == (1,)
    env.reset(seed=0)
    assert [env.mapping.quantity(np.array([a])) for a in (-1.0, 0.0, 0.5, 1.0, 3.0)] == [
        0.0,
        5.0,
        8.0,
        10.0,
        10.0,
    ]
    env.step(np.array([1.0], dtype=np.float32))  # orders 10, received at the start of period 1
    assert env.model.observe(0, env.model.period).on_hand == 10.0


def test_learning_env_shares_random_numbers_with_heuristic_runs():
    """Changing the learner's orders leaves the demand it faces unchanged."""
    scenario = resolve("lost_sales")
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=30)
    demands = []
    for action in (0, 20):
        env.reset(seed=5)
        seen = []
        for _ in range(30):
            obs, *_ = env.step(action)
            seen.append(obs[3] * env.layout.scale)
        demands.append(seen)
    assert demands[0] == demands[1]
    model = SupplyChainModel(scenario.network(), BaseStock(level=13), seed=5, decide="start")
    model.run(30)
    assert demands[0][:-1] == model.results().demand.tolist()[:29]


def test_one_copy_and_learner_keys_with_products():
    scenario = resolve("lost_sales")
    venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 1, periods=5)
    venv.reset(seed=0)
    obs, reward, *_ = venv.step(np.array([3]))
    assert obs.shape == (1, venv.layout.size) and reward.shape == (1,)
    graph = scenario.network()
    product = SupplyChainModel(graph, BaseStock(level=1)).products[0]
    env = InventoryEnv(graph, {("stage1", product): BaseStock(level=13)}, "stage1", periods=5)
    assert env.reset(seed=0)[0].shape == (env.layout.size,)
    with pytest.raises(ValueError, match="never decides within an episode"):
        late = resolve("uneven_review").with_overrides({"roles.retailer.policy.epochs": [3, 4, 6]})
        InventoryEnv.from_scenario(late, "stage1", periods=2).reset(seed=0)


def test_an_order_on_a_half_unit_grid_is_the_engines_constant_order():
    constant = {"kind": "constant_order", "quantity": 4.5}
    scenario = resolve("lost_sales").with_overrides({"agents.stage1.policy": constant})
    model = scenario.build(seed=3, record=True)
    model.run(40)
    half = ActionMapping("discrete", 0, 20, step=0.5)
    env = InventoryEnv.from_scenario(scenario, "stage1", periods=40, action=half)
    assert env.action_space.n == 41
    env.reset(seed=3)
    total = sum(env.step(9)[1] for _ in range(40))  # the plain path: an int action
    assert -total == pytest.approx(model.results()["cost"].sum(), rel=1e-12)


@pytest.mark.parametrize(
    ("allocation", "lead_time", "shortage", "seed", "at"),
    [
        ("proportional", 1, "backlog", 1, "upstream"),
        ("fifo", {"dist": "exponential", "mean": 2}, "lost_sales", 6, "retailer"),
    ],
)
def test_a_learner_takes_in_float_residues_of_shipments(allocation, lead_time, shortage, seed, at):
    """Fractional customer sizes leave stock and proportional shares of about 1e-14, which
    ship too; the learner's arrivals book (by arrival period) had dropped such a residue's
    booking with another shipment's receipt, and its own receipt raised KeyError."""
    graph = random_network(
        12, depth=3, seed=seed, shortage=shortage, initial_stock=10, lead_time=lead_time
    )
    for node, data in graph.nodes(data=True):
        if data["role"] == "retailer" or node == "warehouse1_1":
            data["demand"] = {
                "dist": "compound_poisson",
                "rate": 1.5,
                "size": {"dist": "uniform", "low": 0.5, "high": 6.5},
            }
    stocking = [n for n in graph.nodes if graph.nodes[n]["role"] != "supplier"]
    upstream = [n for n in stocking if graph.nodes[n]["role"] != "retailer"]
    retailers = [n for n in stocking if graph.nodes[n]["role"] == "retailer"]
    learner = upstream[1] if at == "upstream" else retailers[0]
    env = InventoryEnv(
        graph,
        {n: SS(s=8, S=30) for n in stocking},
        learner,
        periods=40,
        options={"review": "continuous", "arrivals": "poisson", "allocation": allocation},
    )
    env.action_space.seed(seed)
    env.reset(seed=seed)
    for _ in range(120):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert np.isfinite(obs).all()
        if terminated or truncated:
            env.reset()
    due = env.model._due[env.model.sku_index[learner, env.model.products[0]]]
    assert all(x > 0 for x in due.values())
