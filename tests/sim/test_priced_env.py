"""A learner that sets price and quantity at a firm of a market (seed paper §V): the layout's
price entries, the price dimension of the action, agreement with the engine, the checker."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from agents import BaseStockListPrice  # noqa: E402
from scenarios import resolve  # noqa: E402
from sim import SupplyChainModel  # noqa: E402
from sim.env import InventoryEnv  # noqa: E402
from sim.policy import Priced  # noqa: E402
from sim.spaces import ActionMapping, ObservationLayout  # noqa: E402


def _env(case="a", **kwargs):
    scenario = resolve(f"pricing_{case}")
    options = {"market": scenario.market()}
    return scenario, InventoryEnv.from_scenario(
        scenario, "stage1", options=options, reward="profit", **kwargs
    )


def test_a_firm_sees_prices_and_chooses_one_of_fifty():
    _, env = _env(periods=30)
    assert env.layout.names[-3:] == ["price", "competitor_prices[0]", "reference_price"]
    assert env.observation_space.shape == (env.layout.size,) == (len(env.layout.names),)
    assert env.action_space == gym.spaces.MultiDiscrete([env.mapping.n, 50])
    obs, _ = env.reset(seed=4)
    np.testing.assert_allclose(obs[-3:], [30 / 50] * 3)  # p = o = r = 30, divided by high
    obs, *_ = env.step(np.array([5, 27]))  # the price index 27 is 1 + 27 = 28
    assert env.model._market.prices[0] == 28.0
    # r <- 0.9 r + 0.1 p after period 0 (p = 28), the rival stays at 30
    np.testing.assert_allclose(obs[-3:], np.array([28, 30, 0.9 * 30 + 2.8]) / 50, rtol=1e-6)


def test_bslp_played_through_the_env_earns_the_engine_profit_period_by_period():
    scenario, env = _env("d", periods=40)
    policy = BaseStockListPrice(level=24, price=29)
    graph = scenario.network()
    model = SupplyChainModel(
        graph,
        {**scenario.policies(graph), "stage1": policy},
        seed=9,
        market=scenario.market(graph),
        **scenario.options,
    )
    model.run(40)
    table = model.results()
    obs, _ = env.reset(seed=9)
    rewards, done = [], False
    while not done:
        position = float(obs[2]) * env.layout.scale
        q = int(max(round(24 - position), 0))
        obs, reward, _, done, _ = env.step(np.array([q, 28]))  # price index 28 is 29
        rewards.append(reward)
    np.testing.assert_allclose(rewards, table.profit.to_numpy(), rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("case", "abcd")
def test_gymnasium_checker_passes_on_the_pricing_cases(case):
    _, env = _env(case, periods=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unbounded Box: levels are unbounded
        check_env(env, skip_render_check=True)


def test_a_continuous_price_entry_is_rounded_to_the_grid():
    mapping = ActionMapping("continuous", 0, 40, price_low=1, price_high=50, price_step=1)
    assert mapping.quantity([-1.0, -1.0]) == Priced(0.0, 1.0)
    assert mapping.quantity([1.0, 1.0]) == Priced(40.0, 50.0)
    assert mapping.quantity([0.0, 0.01]) == Priced(20.0, 26.0)  # 1 + round(24.745)
    _, env = _env(periods=10, action=mapping)
    assert env.action_space == gym.spaces.Box(-1, 1, (2,), np.float32)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: ActionMapping(price_low=1, price_high=50, price_step=2),
            "ActionMapping.price_step: 2 does not divide [1, 50]",
        ),
        (
            lambda: ActionMapping(price_low=50, price_high=1, price_step=1),
            "a price dimension needs price_step > 0 and 0 <= price_low < price_high",
        ),
        (
            lambda: ActionMapping(price_low=1, price_high=50, price_step=1).quantity([3, 50]),
            "price action 50 outside the integers 0..49",
        ),
        (
            lambda: ObservationLayout(rivals=2),
            "ObservationLayout.rivals: competing prices need priced=True",
        ),
        (
            lambda: InventoryEnv.from_scenario(
                resolve("lost_sales"),
                "stage1",
                action=ActionMapping(high=20, price_low=1, price_high=50, price_step=1),
            ),
            "action: the mapping sets prices, but node 'stage1' is not a firm of a market",
        ),
    ],
)
def test_bad_price_mappings_are_one_line_errors_naming_the_parameter(make, message):
    with pytest.raises(ValueError) as e:
        make()
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_priced_layout_refuses_an_unpriced_observation():
    layout = ObservationLayout(priced=True, rivals=1, price_scale=50)
    _, env = _env(periods=5)
    env.reset(seed=1)
    decision = env._decision  # the env reads vectors straight from the state: observe once
    obs = env.model.observe(decision.index, decision.period)._replace(price=None)
    with pytest.raises(ValueError, match="node 'stage1': the layout needs prices"):
        layout.vector(obs)
