"""Myopic-1 and myopic-2 for lost sales against independent brute force and hand values."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from agents import Myopic

VALUES, PROBS = (0, 1, 3), (0.3, 0.5, 0.2)
DISCRETE = {"dist": "discrete", "values": list(VALUES), "probs": list(PROBS)}
H, P = 1.0, 6.0


# ---------------------------------------------------------------- brute force, by paths


def paths(n):
    """Every demand path of length n with its probability."""
    for combo in itertools.product(range(len(VALUES)), repeat=n):
        yield [VALUES[i] for i in combo], float(np.prod([PROBS[i] for i in combo]))


def period_cost(stock, demand):
    return H * max(stock - demand, 0) + P * max(demand - stock, 0)


def stock_at_arrival(x, arrivals, lead_time, q, demands):
    """Simulate x -> (x - d)^+ + a_k period by period; q lands with a_{L-1}."""
    for k in range(lead_time):
        x = max(x - demands[k], 0) + (arrivals[k] if k < len(arrivals) else 0)
    return x + q


def brute_myopic1(x, arrivals, lead_time, q):
    total = 0.0
    for ds, prob in paths(lead_time + 1):
        total += prob * period_cost(stock_at_arrival(x, arrivals, lead_time, q, ds), ds[-1])
    return total


def brute_myopic2(x, arrivals, lead_time, q, q_next_max=12):
    a_last = arrivals[lead_time] if lead_time < len(arrivals) else 0
    total = 0.0
    for d0, p0 in zip(VALUES, PROBS, strict=True):
        now = 0.0
        later = np.zeros(q_next_max + 1)
        for rest, prob in paths(lead_time + 1):  # d_1..d_L, d_{L+1}
            y = stock_at_arrival(x, arrivals, lead_time, q, [d0, *rest[:-1]])
            now += prob * period_cost(y, rest[-2])
            for q_next in range(q_next_max + 1):
                w = max(y - rest[-2], 0) + a_last + q_next
                later[q_next] += prob * period_cost(w, rest[-1])
        total += p0 * (now + later.min())
    return total


# ---------------------------------------------------------------- myopic-1


@pytest.mark.parametrize("lead_time", [1, 2, 3])
@pytest.mark.parametrize(
    ("on_hand", "arrivals"), [(0, ()), (2, (1,)), (5, (0, 4, 2)), (1, (3, 0, 1, 7))]
)
def test_myopic1_matches_enumeration_of_demand_paths(lead_time, on_hand, arrivals, obs):
    policy = Myopic(demand=DISCRETE, holding_cost=H, lost_sales_cost=P, lead_time=lead_time)
    o = obs(on_hand=float(on_hand), arrivals=tuple(map(float, arrivals)))
    costs = policy.objective(o)
    brute = [brute_myopic1(on_hand, arrivals, lead_time, q) for q in range(len(costs))]
    np.testing.assert_allclose(costs, brute, rtol=1e-12, atol=1e-12)
    wider = [brute_myopic1(on_hand, arrivals, lead_time, q) for q in range(12)]
    q = policy.act(o)
    assert type(q) is float
    assert q == float(np.argmin(wider))


def test_myopic1_matches_monte_carlo_with_poisson_demand(obs):
    lead_time, on_hand, arrivals = 3, 4, (2.0, 5.0)
    policy = Myopic(
        demand={"dist": "poisson", "mean": 3}, holding_cost=1, lost_sales_cost=4, lead_time=3
    )
    costs = policy.objective(obs(on_hand=on_hand, arrivals=arrivals))
    rng = np.random.default_rng(20240611)
    d = rng.poisson(3.0, size=(200_000, lead_time + 1))
    x = np.full(len(d), float(on_hand))
    for k in range(lead_time):
        x = np.maximum(x - d[:, k], 0) + (arrivals[k] if k < len(arrivals) else 0)
    for q, expected in enumerate(costs):
        sample = 1.0 * np.maximum(x + q - d[:, -1], 0) + 4.0 * np.maximum(d[:, -1] - x - q, 0)
        stderr = sample.std() / np.sqrt(len(sample))
        assert abs(sample.mean() - expected) < 4 * stderr + 1e-9, q


@pytest.mark.parametrize(
    ("h", "p", "expected"),
    [
        # critical fractile p/(p+h) = 0.9; Poisson(4): F(6) = 0.889 < 0.9 <= F(7) = 0.949
        (1.0, 9.0, 7.0),
        # fractile 0.5; F(3) = 0.433 < 0.5 <= F(4) = 0.629: the median
        (1.0, 1.0, 4.0),
        # fractile 0.2; F(1) = 0.092 < 0.2 <= F(2) = 0.238
        (4.0, 1.0, 2.0),
    ],
)
def test_myopic1_with_lead_time_one_and_nothing_on_hand_is_the_newsvendor(h, p, expected, obs):
    policy = Myopic(
        demand={"dist": "poisson", "mean": 4}, holding_cost=h, lost_sales_cost=p, lead_time=1
    )
    assert policy.newsvendor_level == expected
    assert policy.act(obs(on_hand=0.0, arrivals=())) == expected
    # what arrives with the order (due at t + 1) is subtracted: Y = (0 - D)^+ + 2 = 2
    assert policy.act(obs(on_hand=0.0, arrivals=(2.0,))) == max(expected - 2, 0)


def test_myopic_with_constant_demand_orders_the_shortfall(obs):
    for periods in (1, 2):
        policy = Myopic(demand=3, holding_cost=1, lost_sales_cost=5, lead_time=1, periods=periods)
        # (5 - 3)^+ = 2 left when the order lands: order 1; next period's order covers t + 2
        assert policy.act(obs(on_hand=5.0, arrivals=())) == 1.0
        assert policy.act(obs(on_hand=0.0, arrivals=())) == 3.0
        assert policy.act(obs(on_hand=9.0, arrivals=())) == 0.0


def test_myopic1_ignores_arrivals_after_the_order_lands_and_pads_short_arrivals(obs):
    policy = Myopic(demand=DISCRETE, holding_cost=H, lost_sales_cost=P, lead_time=2)
    base = policy.objective(obs(on_hand=1.0, arrivals=(2.0,)))
    np.testing.assert_array_equal(base, policy.objective(obs(on_hand=1.0, arrivals=(2.0, 0.0))))
    np.testing.assert_array_equal(base, policy.objective(obs(on_hand=1.0, arrivals=(2.0, 0, 9))))


# ---------------------------------------------------------------- myopic-2


@pytest.mark.parametrize("lead_time", [1, 2])
@pytest.mark.parametrize(("on_hand", "arrivals"), [(0, ()), (2, (1,)), (4, (0, 3, 2))])
def test_myopic2_matches_enumeration_with_a_myopic_next_order(lead_time, on_hand, arrivals, obs):
    policy = Myopic(
        demand=DISCRETE, holding_cost=H, lost_sales_cost=P, lead_time=lead_time, periods=2
    )
    o = obs(on_hand=float(on_hand), arrivals=tuple(map(float, arrivals)))
    costs = policy.objective(o)
    brute = [brute_myopic2(on_hand, arrivals, lead_time, q) for q in range(len(costs))]
    np.testing.assert_allclose(costs, brute, rtol=1e-12, atol=1e-12)
    q = policy.act(o)
    assert type(q) is float
    assert q == float(np.argmin(brute))


def test_myopic2_counts_the_arrival_due_in_the_second_period(obs):
    policy = Myopic(demand=DISCRETE, holding_cost=H, lost_sales_cost=P, lead_time=1, periods=2)
    plain = policy.objective(obs(on_hand=1.0, arrivals=()))
    flooded = policy.objective(obs(on_hand=1.0, arrivals=(0.0, 9.0)))
    assert not np.allclose(plain, flooded)
    np.testing.assert_allclose(
        flooded, [brute_myopic2(1, (0, 9), 1, q) for q in range(len(flooded))], rtol=1e-12
    )
    assert policy.act(obs(on_hand=1.0, arrivals=(0.0, 9.0))) <= policy.act(
        obs(on_hand=1.0, arrivals=())
    )


# ---------------------------------------------------------------- declarations and guards


def test_demand_declarations_and_values_are_equivalent():
    from networks.distributions import Poisson

    declared = Myopic(
        demand={"dist": "poisson", "mean": 4}, holding_cost=1, lost_sales_cost=9, lead_time=2
    )
    given = Myopic(demand=Poisson(4.0), holding_cost=1, lost_sales_cost=9, lead_time=2)
    assert declared == given
    assert declared.demand == Poisson(4.0)
    assert Myopic.observes == frozenset({"arrivals"})


def test_poisson_support_is_cut_below_the_tail_mass():
    from scipy import stats

    policy = Myopic(
        demand={"dist": "poisson", "mean": 6}, holding_cost=1, lost_sales_cost=9, lead_time=1
    )
    d_max = len(policy._pmf) - 1
    assert stats.poisson.sf(d_max, 6) < 1e-12 <= stats.poisson.sf(d_max - 1, 6)
    assert policy._pmf.sum() == pytest.approx(1.0)


def test_myopic_needs_arrivals_and_whole_units(obs):
    policy = Myopic(demand=DISCRETE, holding_cost=H, lost_sales_cost=P, lead_time=2)
    with pytest.raises(ValueError, match="arrivals is None"):
        policy.act(obs(on_hand=1.0))
    with pytest.raises(ValueError, match=r"obs.on_hand = 1.5 is not a whole number"):
        policy.act(obs(on_hand=1.5, arrivals=()))
    with pytest.raises(ValueError, match=r"obs.arrivals\[1\] = 0.25 is not a whole number"):
        policy.act(obs(on_hand=1.0, arrivals=(1.0, 0.25)))


# ---------------------------------------------------------------- bound to its node


def lost_sales_with(policy: dict):
    from scenarios import load

    return load("scenarios/library/lost_sales.toml").with_overrides(
        {"roles.retailer.policy": {"kind": "myopic", **policy}}
    )


def test_scenario_reads_myopic_parameters_from_the_node():
    # lost_sales: Poisson(5), h = 1, p = 9, L = 1 at node stage1
    scenario = lost_sales_with({"periods": 2})
    (policy,) = scenario.policies().values()
    assert policy == Myopic(
        demand={"dist": "poisson", "mean": 5},
        holding_cost=1,
        lost_sales_cost=9,
        lead_time=1,
        periods=2,
    )
    assert policy.newsvendor_level == 8  # first y with P(D <= y) >= 0.9 for Poisson(5)
    agreeing = lost_sales_with({"holding_cost": 1, "lead_time": 1})
    assert agreeing.policies() == scenario.policies() | {
        "stage1": Myopic(
            demand={"dist": "poisson", "mean": 5}, holding_cost=1, lost_sales_cost=9, lead_time=1
        )
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"holding_cost": 2},
            "roles.retailer.policy.holding_cost: 2 disagrees with node 'stage1', whose "
            "holding_cost is 1.0; leave holding_cost out to read it from the node",
        ),
        (
            {"demand": {"dist": "poisson", "mean": 4}},
            "roles.retailer.policy.demand: {'dist': 'poisson', 'mean': 4.0} disagrees with node "
            "'stage1', whose demand is {'dist': 'poisson', 'mean': 5.0}",
        ),
        ({"lead_time": 2}, "roles.retailer.policy.lead_time: 2 disagrees with node 'stage1'"),
        ({"lost_sales_cost": 19}, "roles.retailer.policy.lost_sales_cost: 19 disagrees"),
    ],
)
def test_scenario_refuses_myopic_parameters_that_disagree_with_the_node(given, message):
    from scenarios import ScenarioError

    with pytest.raises(ScenarioError, match="^" + re.escape(message)):
        lost_sales_with(given)


def test_unbound_myopic_without_parameters_cannot_act(obs):
    policy = Myopic(holding_cost=1)
    with pytest.raises(ValueError, match=r"^Myopic at node 'shop': demand, lost_sales_cost, lead"):
        policy.act(obs(on_hand=3.0, arrivals=()))
