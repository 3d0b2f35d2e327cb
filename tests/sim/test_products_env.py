"""Learners at stock points (SKUs) of a network of several products: the environments of
sim.env and sim.multi against the engine, bit for bit, and their one-line errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import api_test, parallel_api_test

from agents import BaseStock
from networks import distribution
from sim import SupplyChainModel
from sim.env import InventoryEnv, InventoryVectorEnv
from sim.multi import SupplyChainAECEnv, SupplyChainParallelEnv, TeamVectorEnv
from sim.policy import External
from sim.spaces import ActionMapping

PRODUCTS = ("tea", "mugs")
NODES = ("retailer1", "retailer2", "warehouse")
SKUS = [(n, p) for n in NODES for p in PRODUCTS]  # the engine's decision order
LEVELS = {
    ("retailer1", "tea"): 14,
    ("retailer1", "mugs"): 7,
    ("retailer2", "tea"): 12,
    ("retailer2", "mugs"): 8,
    ("warehouse", "tea"): 30,
    ("warehouse", "mugs"): 15,
}
WIDE = ActionMapping("discrete", 0, 60)  # the base-stock orders fit
LEVEL = ActionMapping("discrete", 0, 60, target="position")  # the base-stock levels fit


def network():
    """A warehouse and two retailers stocking tea and mugs (Poisson demand)."""
    return distribution(
        n_retailers=2,
        products=list(PRODUCTS),
        lead_time=[1, 2, 2],
        holding_cost={"tea": 1.0, "mugs": 2.0},
        initial_stock={"tea": 10, "mugs": 5},
        demand={"tea": {"dist": "poisson", "mean": 4}, "mugs": {"dist": "poisson", "mean": 2}},
    )


def heuristics():
    return {sku: BaseStock(level=level) for sku, level in LEVELS.items()}


def engine_run(seed: int, periods: int) -> pd.DataFrame:
    model = SupplyChainModel(network(), heuristics(), seed=seed)
    model.run(periods)
    return model.results()


def agent(sku) -> str:
    return f"{sku[0]}:{sku[1]}"


@pytest.mark.parametrize(
    "learners",
    [SKUS, [("warehouse", "mugs"), ("retailer2", "tea"), ("retailer1", "mugs")]],
)
def test_a_team_of_skus_played_through_aec_gives_the_engine_table_bit_for_bit(learners):
    # retailer2's module is keyed by the node: its learner SKU replaces it for tea only
    policies = {**heuristics(), "retailer2": BaseStock(level=10)}
    del policies["retailer2", "tea"], policies["retailer2", "mugs"]
    modules = {agent(sku): policies.get(sku, BaseStock(level=10)) for sku in learners}
    env = SupplyChainAECEnv(network(), policies, learners, periods=40, action=WIDE, record=True)
    assert env.possible_agents == [agent(s) for s in SKUS if s in learners]
    env.reset(seed=7)
    total = dict.fromkeys(env.possible_agents, 0.0)
    for name in env.agent_iter():
        _, reward, _, truncated, _ = env.last()
        total[name] += reward
        env.step(None if truncated else int(modules[name].act(env.decision_observation())))
    model = SupplyChainModel(network(), policies, seed=7)
    model.run(40)
    table = model.results()
    pd.testing.assert_frame_equal(env.model.results(), table, check_exact=True)
    cost = table.groupby(["node", "product"], observed=True)["cost"].sum()
    assert total == {agent(s): -float(cost[s]) for s in learners}


def test_pettingzoo_checkers_pass_with_sku_agents():
    options = {"periods": 20, "global_state": True, "alpha": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # agent names, unbounded Box
        api_test(SupplyChainAECEnv(network(), heuristics(), SKUS[:3], **options), num_cycles=40)
        parallel_api_test(
            SupplyChainParallelEnv(network(), heuristics(), SKUS[:3], **options), num_cycles=40
        )


def test_team_vector_env_skus_of_one_node_take_turns_as_the_aec_agents():
    # both SKUs of each node decide in one step of the vectorized engine: turns on one state
    # (their local views are the AEC's; the global state shows their orders after the step)
    options = {"periods": 12, "alpha": 0.25, "global_state": True, "action": WIDE}
    venv = TeamVectorEnv(network(), heuristics(), SKUS, 3, **options)
    singles = [SupplyChainAECEnv(network(), heuristics(), SKUS, **options) for _ in range(3)]
    assert venv.agents == [agent(s) for s in SKUS]
    assert venv.state_size == 4 * len(SKUS)  # every SKU's on hand, backlog, position, demand
    venv.reset(seed=20)
    for k, env in enumerate(singles):
        env.reset(seed=20 + k)
    rng = np.random.default_rng(2)
    while not venv.done:
        name = venv.agent
        assert all(env.agent_selection == name for env in singles)
        np.testing.assert_array_equal(
            venv.observe(name)[:, : venv.layouts[name].size],
            np.stack([env.observe(name)[: venv.layouts[name].size] for env in singles]),
        )
        actions = rng.integers(0, 17, size=3)
        rewards = venv.step(actions)
        for env, a in zip(singles, actions, strict=True):
            env.step(int(a))
        if rewards is not None:
            expected = [[env.rewards[a] for env in singles] for a in venv.agents]
            np.testing.assert_array_equal(rewards, np.array(expected))
    np.testing.assert_array_equal(venv.state(), np.stack([env.state() for env in singles]))


def test_team_vector_env_of_base_stock_levels_pays_the_engine_runs_network_cost():
    venv = TeamVectorEnv(network(), heuristics(), SKUS, 3, periods=30, action=LEVEL, alpha=0.0)
    venv.reset(seed=4)
    levels = {agent(sku): level for sku, level in LEVELS.items()}
    paid = []
    while not venv.done:
        rewards = venv.step(np.full(3, levels[venv.agent]))
        if rewards is not None:
            assert (rewards == rewards[0]).all()  # alpha = 0: every agent gets the team's
            paid.append(-rewards[0])
    for k in range(3):
        cost = engine_run(4 + k, 30).groupby("period", observed=True)["cost"].sum()
        np.testing.assert_array_equal([p[k] for p in paid], cost.to_numpy())


def test_a_sku_learner_is_rewarded_its_own_engine_cost():
    sku = ("retailer1", "mugs")
    venv = InventoryVectorEnv(network(), heuristics(), sku, 3, periods=25, action=LEVEL)
    single = InventoryEnv(network(), heuristics(), sku, periods=25, action=LEVEL)
    assert venv.learner == single.learner == sku and venv.layout.scale == 2.0  # mugs' demand
    venv.reset(seed=9)
    single.reset(seed=10)
    rewards, single_rewards = [], []
    for _ in range(25):
        rewards.append(venv.step(np.full(3, LEVELS[sku]))[1])
        single_rewards.append(single.step(LEVELS[sku])[1])
    for k in range(3):
        table = engine_run(9 + k, 25).set_index(["node", "product"]).loc[sku]
        expected = -table["cost"].to_numpy()
        np.testing.assert_array_equal([r[k] for r in rewards], expected)
        if k == 1:
            np.testing.assert_array_equal(single_rewards, expected)


def test_sku_learners_are_told_apart_and_replace_their_sku_only():
    graph = network()
    tea = InventoryEnv(graph, heuristics(), ("warehouse", "tea"))
    mugs = InventoryEnv(graph, heuristics(), ("warehouse", "mugs"))
    assert tea.fingerprint != mugs.fingerprint
    assert tea.layout.scale == 8.0 and mugs.layout.scale == 4.0  # both retailers' demand
    policies = {**heuristics(), "warehouse": BaseStock(level=9)}
    del policies["warehouse", "mugs"]
    env = InventoryEnv(graph, policies, ("warehouse", "tea"))
    modules = env.model.stocking_agents["warehouse"].modules
    assert modules["mugs"] == BaseStock(level=9) and type(modules["tea"]) is External
    # a random initial state is the learner's SKU's: the node's mugs keep their declared 5
    drawn = InventoryEnv(
        graph,
        heuristics(),
        ("retailer1", "tea"),
        initial_state={"on_hand": {"dist": "constant", "value": 40}},
    )
    drawn.reset(seed=0)
    start = {}  # stock at the start of period 0: on hand, less backlog, plus demand served
    for product in PRODUCTS:
        obs = drawn.model.observe(drawn.model.sku_index["retailer1", product], 0)
        start[product] = obs.on_hand - obs.backlog + obs.demand
    assert start == {"tea": 40, "mugs": 5}


def test_bad_learners_of_several_products_are_one_line_errors():
    graph = network()
    with pytest.raises(
        ValueError,
        match=r"^learner: node 'retailer1' stocks 2 products \('tea', 'mugs'\); name one SKU "
        r"as \('retailer1', 'tea'\)$",
    ):
        InventoryEnv(graph, heuristics(), "retailer1")
    with pytest.raises(
        ValueError, match=r"^learner: node 'retailer1': no product 'coffee'; products: \('tea'"
    ):
        InventoryVectorEnv(graph, heuristics(), ("retailer1", "coffee"), 2)
    with pytest.raises(ValueError, match=r"^learner: 'shop' is not a stocking node"):
        SupplyChainAECEnv(graph, heuristics(), [("shop", "tea")])
    with pytest.raises(ValueError, match="stocks 2 products"):
        TeamVectorEnv(graph, heuristics(), [("warehouse", "tea"), "retailer2"], 2)
    with pytest.raises(ValueError, match=r"^learners: each node once \(each SKU once\)"):
        SupplyChainAECEnv(graph, heuristics(), [("warehouse", "tea"), ("warehouse", "tea")])
