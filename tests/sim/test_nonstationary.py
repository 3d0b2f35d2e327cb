"""Non-stationary demand (the jump-diffusion paths of Liu et al., 2023) and the heuristics
whose levels follow the demand: a hand recursion of the paths, the engines' use of them,
hand-computed orders, and their tuning."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_vectorized import assert_same_run  # pytest puts this folder on sys.path

from agents import SS, BaseStock, DemandTrackingBaseStock, DemandTrackingSS
from analysis.tune import KINDS, _facts, _single, tune_jointly
from networks.distributions import DistributionError, MertonJump, parse_distribution
from scenarios import resolve
from sim import SupplyChainModel
from sim.policy import InventoryObservation, ObservationBatch
from sim.streams import Purpose, stream

LIU = {
    "dist": "merton_jump",
    "level": 10,
    "volatility": 0.0387,
    "jump_rate": 15,
    "jump_mean": 0,
    "jump_std": 0.02,
    "cap": 20,
    "path_length": 200,
}


def hand_paths(spec: dict, rng: np.random.Generator, paths: int) -> list[float]:
    """The declaration's paths, period by period, as the reference's generator writes them."""
    out: list[float] = []
    for _ in range(paths):
        while True:
            n = spec["path_length"] - 1
            z, jumps, z_jump = rng.standard_normal(n), rng.poisson(spec["jump_rate"], n), rng.standard_normal(n)  # fmt: skip
            x, xs = 0.0, [0.0]
            for k in range(n):
                v, j = spec["volatility"] * z[k], spec["jump_mean"] * jumps[k]
                x += v + j + spec["jump_std"] * math.sqrt(jumps[k]) * z_jump[k]
                xs.append(x)
            path = np.floor(spec["level"] * np.exp(xs)).tolist()
            if sum(path) / len(path) < spec["cap"]:
                break
        out += [min(d, spec["cap"]) for d in path]
    return out


@pytest.mark.parametrize(
    "spec",
    [
        LIU,
        # wilder paths: most are redrawn (their mean reaches the cap), many hit the cap
        {**LIU, "volatility": 0.2, "jump_mean": 0.01, "cap": 14, "path_length": 30},
    ],
)
def test_merton_paths_follow_the_hand_recursion(spec):
    dist = parse_distribution(spec)
    assert isinstance(dist, MertonJump)
    drawn = dist.draw(np.random.default_rng(4), 0, 3 * spec["path_length"])
    expected = hand_paths(spec, np.random.default_rng(4), 3)
    np.testing.assert_allclose(drawn, expected, rtol=0, atol=1e-9)
    assert drawn[:: spec["path_length"]].tolist() == [10.0] * 3  # each path starts at level
    assert drawn.max() <= spec["cap"] and (drawn == np.floor(drawn)).all()
    assert parse_distribution(dist.to_spec()) == dist


def test_merton_mean_and_paths_without_noise():
    flat = parse_distribution({**LIU, "volatility": 0, "jump_rate": 0, "level": 7.5})
    assert flat.draw(np.random.default_rng(0), 400, 400).tolist() == [7.0] * 400
    assert flat.mean == 7.0
    dist = parse_distribution(LIU)
    assert 8 < dist.mean < 10  # below the start: the floor, the cap and the redraw rule


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**LIU, "path_length": 2.5}, "demand.path_length: must be a whole number"),
        ({**LIU, "path_length": 10**6}, r"up to 100,000, got 1000000"),
        ({**LIU, "path_length": 0}, "demand.path_length: must be > 0"),
        ({**LIU, "volatility": -1}, "demand.volatility: must be >= 0"),
        ({**LIU, "cap": 0}, "demand.cap: must be > 0"),
        ({k: v for k, v in LIU.items() if k != "jump_std"}, "demand.jump_std: missing"),
        (
            {"dist": "compound_poisson", "rate": 1, "size": LIU},
            "demand.size: a customer's size cannot be a 'merton_jump'",
        ),
    ],
)
def test_bad_merton_declarations_name_the_field(spec, message):
    with pytest.raises(DistributionError, match=message):
        parse_distribution(spec, "demand")


def test_merton_draws_whole_paths_only_and_gives_up_on_hopeless_parameters():
    dist = parse_distribution({**LIU, "jump_mean": -0.5})  # a jump's mean may be negative
    with pytest.raises(DistributionError, match="draws whole paths of 200 periods"):
        dist.draw(np.random.default_rng(0), 0, 16)
    with pytest.raises(DistributionError, match="averaged at least the cap"):
        parse_distribution({**LIU, "jump_mean": 1}).draw(np.random.default_rng(0), 0, 200)


def shop(demand) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("shop", role="retailer", demand=demand, holding_cost=1.0, backlog_cost=1.0)
    g.add_edge("source", "shop", lead_time=2)
    return g


def test_customers_draw_whole_paths_and_restart_them():
    spec = {**LIU, "path_length": 30}
    model = SupplyChainModel(shop(spec), BaseStock(level=30), seed=8)
    model.run(75)
    demand = model.results()["demand"].tolist()
    expected = hand_paths(spec, stream(8, Purpose.DEMAND, "shop", "item"), 3)
    assert demand == expected[:75]
    assert demand[0] == demand[30] == demand[60] == 10.0


def test_both_engines_agree_on_the_jump_chain():
    scenario = resolve("serial_jump")
    graph = scenario.network()
    assert_same_run(graph, scenario.policies(graph), periods=450, decide="start", seed=2)


def test_a_merton_lead_time_is_refused():
    g = shop(4)
    g.edges["source", "shop"]["lead_time"] = LIU
    with pytest.raises(DistributionError, match="use it for customer demand"):
        SupplyChainModel(g, BaseStock(level=10)).run(5)


def observation(ip: float, demand: float) -> InventoryObservation:
    return InventoryObservation(0, "shop", "item", 0.0, 0.0, ip, ip, demand, ("source",), (ip,))


@pytest.mark.parametrize(
    ("policy", "inventory_position", "demand", "expected"),
    [
        (DemandTrackingBaseStock(level=2, per_demand=5), 15, 4, 7.0),  # 2 + 20 - 15
        (DemandTrackingBaseStock(level=2, per_demand=5), 25, 4, 0.0),
        (DemandTrackingBaseStock(level=-6, per_demand=2.5), 0, 2, 0.0),  # level -1: nothing
        (DemandTrackingSS(s=-3, S=5, per_demand=5), 17, 4, 8.0),  # at s + 20: up to S + 20
        (DemandTrackingSS(s=-3, S=5, per_demand=5), 18, 4, 0.0),
        (DemandTrackingSS(s=-3, S=5, per_demand=0.5), -10, 6, 18.0),
    ],
)
def test_levels_that_follow_the_demand(policy, inventory_position, demand, expected):
    q = policy.act(observation(inventory_position, demand))
    assert type(q) is float and q == expected


@given(
    level=st.floats(-20, 20),
    gap=st.floats(0.5, 20),
    per_demand=st.floats(0, 6),
    state=st.lists(st.tuples(st.floats(-40, 60), st.floats(0, 20)), min_size=1, max_size=12),
)
def test_act_batch_is_act_and_no_tracking_is_the_textbook_policy(level, gap, per_demand, state):
    ip = np.array([x for x, _ in state])
    demand = np.array([d for _, d in state])
    zeros = np.zeros(len(state))
    batch = ObservationBatch(0, ["shop"] * len(state), ["item"] * len(state), zeros, zeros, ip, ip, demand)  # fmt: skip
    for policy, still in (
        (DemandTrackingBaseStock(level=level, per_demand=per_demand), None),
        (DemandTrackingSS(s=level, S=level + gap, per_demand=per_demand), None),
        (DemandTrackingBaseStock(level=abs(level), per_demand=0), BaseStock(level=abs(level))),
        (
            DemandTrackingSS(s=level, S=abs(level) + gap, per_demand=0),
            SS(s=level, S=abs(level) + gap),
        ),
    ):
        one_by_one = [policy.act(observation(x, d)) for x, d in state]
        assert policy.act_batch(batch).tolist() == one_by_one
        if still is not None:
            assert one_by_one == [still.act(observation(x, d)) for x, d in state]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DemandTrackingBaseStock(level=1, per_demand=-1), "per_demand: must be >= 0"),
        (lambda: DemandTrackingSS(s=4, S=4, per_demand=1), "s: must be < S"),
        (lambda: DemandTrackingSS(s=1, S=math.nan, per_demand=1), "S: must be a finite number"),
    ],
)
def test_bad_parameters_name_the_parameter(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_tuning_searches_from_the_stationary_policy_and_an_economic_order_quantity_too():
    scenario = resolve("serial_jump_fixed_cost")
    facts = _facts(scenario, "stage1", 0)
    space = _single(facts, "demand_tracking_s_S")
    s, big_s, per_demand = space.parameters
    eoq = round(math.sqrt(2 * 5 * facts.mean / 1))
    assert facts.fixed_cost == 5 and big_s.start - s.start == 1
    s0 = round(big_s.start + facts.mean * 5)  # the newsvendor level: safety + mean demand
    stationary = {"s": s0 - 1, "S": s0, "per_demand": 0.0}
    assert space.other_starts == (stationary, {"s": big_s.start - eoq}) and eoq > 1
    assert per_demand.start == 5  # lead time 4 and the period's own demand (decide="start")
    without = _single(_facts(resolve("serial_jump"), "stage1", 0), "demand_tracking_base_stock")
    assert without.other_starts == ({"level": s0, "per_demand": 0.0},)  # no EOQ start
    assert "demand_tracking_base_stock" in KINDS and "demand_tracking_s_S" in KINDS
    best = tune_jointly(
        scenario, dict.fromkeys(["stage1", "stage2"], "demand_tracking_s_S"), replications=3,
        periods=200, max_evaluations=12,
    )  # fmt: skip
    assert list(best.table.columns)[:3] == ["stage1:s", "stage1:S", "stage1:per_demand"]
    assert best.estimate.mean == best.table["cost"].min()
    assert all(isinstance(p, DemandTrackingSS) for p in best.policies.values())


def test_a_joint_search_goes_on_from_a_given_start():
    scenario = resolve("serial_jump_fixed_cost")
    start = {"stage1": {"s": 21, "S": 22, "per_demand": 2.0}, "stage2": {"S": 12}}
    best = tune_jointly(
        scenario, {"stage1": "demand_tracking_s_S", "stage2": "demand_tracking_s_S"},
        replications=2, periods=200, max_evaluations=4, start=start,
    )  # fmt: skip
    first = best.table.iloc[0]
    assert (first["stage1:s"], first["stage1:S"], first["stage1:per_demand"]) == (21, 22, 2.0)
    analytic = _single(_facts(scenario, "stage2", scenario.seed), "demand_tracking_s_S")
    assert (first["stage2:s"], first["stage2:S"]) == (analytic.parameters[0].start, 12)
    with pytest.raises(ValueError, match="start: stage1:level is not a tuned node's parameter"):
        tune_jointly(scenario, {"stage1": "demand_tracking_s_S"}, start={"stage1": {"level": 3}})


def test_each_analytic_start_has_a_share_of_the_budget():
    """Under Poisson demand the stationary start (levels that do not move) is far cheaper
    than the tracking one; with two analytic starts each search has half of the points,
    so the stationary basin is searched whatever the tracking search would have spent."""
    scenario = resolve("serial_jump").with_overrides(
        {"network.args.demand": {"dist": "poisson", "mean": 10}}
    )
    best = tune_jointly(
        scenario, dict.fromkeys(["stage1", "stage2", "stage3"], "demand_tracking_base_stock"),
        replications=4, periods=200, max_evaluations=8,
    )  # fmt: skip
    per_demand = best.table["stage1:per_demand"].tolist()
    assert per_demand[0] == 5 and per_demand[4] == 0  # 4 points each, from each start
    stationary = best.table.iloc[4]["cost"]
    assert stationary < best.table.iloc[0]["cost"]
    assert best.estimate.mean <= stationary and best.parameters["stage1"]["per_demand"] < 1
