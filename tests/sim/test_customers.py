"""Customers with order sizes (compound Poisson demand), exponential lead times and
whole-or-nothing customers: exact event logs, both engines, and closed forms."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_vectorized import assert_same_run  # pytest puts this folder on sys.path

from agents import SS, BaseStock
from networks import NetworkError, random_network
from networks.distributions import CompoundPoisson, DistributionError, parse_distribution
from sim import SupplyChainModel
from sim.model import _PoissonArrivals
from sim.streams import Purpose, stream


def shop(demand, *, shortage="backlog", fill="partial", stock=0, lead_time=1):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        demand=demand,
        shortage=shortage,
        customer_fill=fill,
        initial_stock=stock,
        holding_cost=1.0,
        backlog_cost=1.0,
    )
    g.add_edge("source", "shop", lead_time=lead_time)
    return g


def arrival_times(seed, n, rate=1.0):
    """The first ``n`` customers' arrival times at ``shop``, from the engine's own stream."""
    gaps = stream(seed, Purpose.ARRIVALS, "shop", "item").exponential(1.0 / rate, n)
    return np.cumsum(gaps).tolist()


@pytest.mark.parametrize(
    ("fill", "sales", "lost"),
    [
        ("partial", [10, 15, 0, 0, 0], [0, 15, 10, 20, 10]),
        ("whole", [10, 10, 0, 0, 0], [0, 20, 10, 20, 10]),
    ],
)
def test_customers_of_ten_units_are_sold_part_or_whole_as_the_node_says(fill, sales, lost):
    """25 units and no replenishment; customers of 10 at the stream's instants (one in
    period 0, three in period 1, ...): the third takes 5 (partial) or nothing (whole)."""
    demand = {"dist": "compound_poisson", "rate": 1, "size": 10}
    graph = shop(demand, shortage="lost_sales", fill=fill, stock=25)
    model = SupplyChainModel(
        graph, {"shop": BaseStock(level=0)}, arrivals="poisson", review="continuous", log=True
    )
    model.run(5)
    times = [t for t in arrival_times(0, 64) if t < 5]
    assert [math.floor(t) for t in times] == [0, 1, 1, 1, 2, 3, 3, 4]
    assert model.event_log == [(t, "demand", None, "shop", "item", 10.0, None) for t in times]
    table = model.results()
    assert table["demand"].tolist() == [10, 30, 10, 20, 10]
    assert table["sales"].tolist() == sales
    assert table["lost"].tolist() == lost


def test_each_customer_buys_a_size_of_its_own_stream():
    size = {"dist": "geometric", "mean": 3}
    graph = shop({"dist": "compound_poisson", "rate": 2, "size": size}, stock=1000)
    model = SupplyChainModel(
        graph, {"shop": BaseStock(level=0)}, arrivals="poisson", log=True, seed=7
    )
    model.run(20)
    demands = [(t, q) for t, kind, _, _, _, q, _ in model.event_log if kind == "demand"]
    times = [t for t in arrival_times(7, 200, rate=2.0) if t < 20]
    sizes = stream(7, Purpose.ORDER_SIZE, "shop", "item").geometric(1 / 3, len(times))
    assert demands == list(zip(times, sizes.astype(float).tolist(), strict=True))
    # the gaps do not depend on the sizes: constant sizes arrive at the same instants
    same = SupplyChainModel(
        shop({"dist": "compound_poisson", "rate": 2, "size": 4}, stock=1000),
        {"shop": BaseStock(level=0)},
        arrivals="poisson",
        log=True,
        seed=7,
    )
    same.run(20)
    assert [t for t, kind, *_ in same.event_log if kind == "demand"] == times


def test_one_unit_customers_are_unchanged_by_the_size_stream():
    """A plain demand declaration still brings one-unit customers at the rate of its mean."""
    model = SupplyChainModel(
        shop({"dist": "poisson", "mean": 2}, stock=100),
        {"shop": BaseStock(level=0)},
        arrivals="poisson",
        log=True,
        seed=5,
    )
    model.run(10)
    demands = [(t, q) for t, kind, _, _, _, q, _ in model.event_log if kind == "demand"]
    assert demands == [(t, 1.0) for t in arrival_times(5, 100, rate=2.0) if t < 10]


def test_the_periodic_form_is_the_sum_of_each_periods_customers():
    dist = parse_distribution({"dist": "compound_poisson", "rate": 1.5, "size": 10})
    rng, again = np.random.default_rng(3), np.random.default_rng(3)
    drawn = dist.draw(rng, 0, 1000)
    np.testing.assert_array_equal(drawn, 10.0 * again.poisson(1.5, 1000))
    sizes = parse_distribution(
        {
            "dist": "compound_poisson",
            "rate": 2,
            "size": {"dist": "discrete", "values": [1, 4], "probs": [0.5, 0.5]},
        }
    ).draw(np.random.default_rng(1), 0, 200_000)
    assert sizes.mean() == pytest.approx(2 * 2.5, rel=0.01)  # rate E[S]
    assert sizes.var() == pytest.approx(2 * 8.5, rel=0.02)  # rate E[S^2]
    assert isinstance(dist, CompoundPoisson) and dist.mean == 15.0
    assert parse_distribution(dist.to_spec()) == dist


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "compound_poisson", "rate": 1}, "demand.size: missing"),
        (
            {"dist": "compound_poisson", "rate": 1, "size": {"dist": "trace", "values": [1]}},
            "demand.size: a customer's size cannot be a 'trace'",
        ),
        ({"dist": "compound_poisson", "rate": -1, "size": 2}, "demand.rate: must be >= 0"),
        ({"dist": "geometric", "mean": 0.5}, "demand.mean: must be >= 1"),
        ({"dist": "shifted_exponential", "shift": 2, "mean": 1}, "demand.mean: must be >= shift"),
        ({"dist": "exponential", "mean": 0}, "demand.mean: must be > 0"),
    ],
)
def test_bad_declarations_name_the_field(spec, message):
    with pytest.raises(DistributionError, match=message):
        parse_distribution(spec, "demand")


def test_a_bad_customer_fill_names_the_node():
    with pytest.raises(NetworkError, match="node 'shop' attribute 'customer_fill': must be one of"):
        SupplyChainModel(shop(1, fill="some"), BaseStock(level=0))


def test_exponential_lead_times_draw_their_mean():
    for spec, mean, low in (
        ({"dist": "exponential", "mean": 3}, 3.0, 0.0),
        ({"dist": "shifted_exponential", "shift": 1, "mean": 3}, 3.0, 1.0),
    ):
        dist = parse_distribution(spec)
        draws = dist.draw(np.random.default_rng(0), 0, 200_000)
        assert dist.mean == mean and draws.min() >= low
        assert draws.mean() == pytest.approx(mean, rel=0.01)
        assert draws.std() == pytest.approx(mean - low, rel=0.01)
        assert parse_distribution(dist.to_spec()) == dist


@pytest.mark.parametrize("fill", ["partial", "whole"])
@pytest.mark.parametrize("decide", ["start", "end"])
def test_both_engines_agree_on_compound_demand_and_exponential_lead_times(fill, decide):
    graph = random_network(30, depth=3, seed=4, shortage="lost_sales", initial_stock=20)
    size = {"dist": "geometric", "mean": 4}
    for _, data in graph.nodes(data=True):
        if "demand" in data:
            data["demand"] = {"dist": "compound_poisson", "rate": 1.5, "size": size}
            data["customer_fill"] = fill
    for _, _, data in graph.edges(data=True):
        data["lead_time"] = {"dist": "shifted_exponential", "shift": 1, "mean": 2.5}
    assert_same_run(graph, SS(s=10, S=40), periods=60, decide=decide, seed=3)


def erlang_b(servers: int, load: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


@pytest.mark.parametrize("lead_time", [{"dist": "exponential", "mean": 3}, 3])
def test_whole_customers_under_base_stock_are_an_erlang_loss_system(lead_time):
    """Base stock S = 40 against customers of 10 units who take all or nothing, lost sales:
    4 "servers" of 10 units, each busy for a lead time: the fraction lost is Erlang's B(4, a)
    with a = rate * mean lead time = 3 (insensitive to the lead-time distribution)."""
    graph = shop(
        {"dist": "compound_poisson", "rate": 1, "size": 10},
        shortage="lost_sales",
        fill="whole",
        stock=40,
        lead_time=lead_time,
    )
    model = SupplyChainModel(
        graph, {"shop": BaseStock(level=40)}, arrivals="poisson", review="continuous", seed=2
    )
    model.run(20_000)
    table = model.results()
    assert table["lost"].sum() / table["demand"].sum() == pytest.approx(erlang_b(4, 3.0), abs=0.012)


def test_compound_poisson_base_stock_with_exponential_lead_times_matches_palm():
    """Backlog, base stock S = 30, customers of 10, exponential lead times of mean 3: the
    outstanding orders are those of an M/M/inf queue (Palm), N ~ Poisson(3), so the mean
    on-hand level is E[(30 - 10 N)^+] and the mean backlog E[(10 N - 30)^+]."""
    graph = shop(
        {"dist": "compound_poisson", "rate": 1, "size": 10},
        stock=30,
        lead_time={"dist": "exponential", "mean": 3},
    )
    model = SupplyChainModel(
        graph, {"shop": BaseStock(level=30)}, arrivals="poisson", review="continuous", seed=1
    )
    model.run(20_000)
    table = model.results()
    p = [math.exp(-3) * 3**n / math.factorial(n) for n in range(60)]
    on_hand = sum(pn * max(30 - 10 * n, 0) for n, pn in enumerate(p))
    backlog = sum(pn * max(10 * n - 30, 0) for n, pn in enumerate(p))
    assert table["holding_cost"].mean() == pytest.approx(on_hand, rel=0.03)
    assert table["backlog_cost"].mean() == pytest.approx(backlog, rel=0.05)
    assert table["pipeline"].mean() == pytest.approx(30.0, rel=0.03)  # rate * size * E[L]


@pytest.mark.parametrize("decide", ["start", "end"])
def test_both_engines_agree_on_storage_capacity(decide):
    graph = random_network(40, depth=3, seed=6, initial_stock=10)
    for k, (_, data) in enumerate(graph.nodes(data=True)):
        if data["role"] != "supplier" or k % 2:
            data["storage_capacity"] = 10 + k % 7 + 0.5 * (k % 3)
    _, vector = assert_same_run(graph, BaseStock(level=25), periods=50, decide=decide, seed=1)
    assert vector.results()["refused"].sum() > 0


def _customer_arrivals(model: SupplyChainModel) -> list[_PoissonArrivals]:
    """The customer streams of ``model``'s pending events."""
    env = model.env
    entries = [*env._queue, *env._now_queue, *itertools.chain(*env._buckets.values())]
    return [e[3] for e in entries if isinstance(e[3], _PoissonArrivals)]


@pytest.mark.parametrize("review", ["continuous", "periodic"])
@pytest.mark.parametrize("allocation", ["fifo", "proportional", "whole"])
@pytest.mark.parametrize("shortage", ["lost_sales", "backlog"])
def test_serving_skips_only_stock_points_where_nothing_waits(review, allocation, shortage):
    """With customers one at a time, a customer's arrival serves, and under continuous
    review a period's step visits, only the stock points where something could wait to be
    served: the same event log and table as serving and visiting every stock point
    (lost-sales retailers with customers and no one to supply are the ones skipped;
    customers everywhere, so that some who have them supply others too; fractional sizes
    leave proportional shares' float residues)."""
    graph = random_network(30, depth=3, seed=5, shortage=shortage, initial_stock=15)
    for _, data in graph.nodes(data=True):
        if data["role"] != "supplier":  # customers upstream too: stock points that supply
            data["shortage"] = shortage  # (random_network sets it at retailers only)
            data["demand"] = {
                "dist": "compound_poisson",
                "rate": 1.5,
                "size": {"dist": "uniform", "low": 0.5, "high": 6.5},
            }
    for _, _, data in graph.edges(data=True):
        data["lead_time"] = {"dist": "exponential", "mean": 2}
    runs = []
    for every in (False, True):
        model = SupplyChainModel(
            graph,
            SS(s=8, S=30),
            review=review,
            arrivals="poisson",
            allocation=allocation,
            log=True,
            seed=2,
        )
        skipped = sum(model._nothing_waits)
        steps_skipped = len(model._downstream_first) - len(model._step_work)
        if every:
            model._nothing_waits = [False] * len(model._nothing_waits)
            model._step_work = list(model._downstream_first)
            model.reset(2)  # its customers' arrivals made again, each serving
        assert all(a.serves for a in _customer_arrivals(model)) == (every or skipped == 0)
        model.run(60)
        runs.append((model.event_log, model.results()))
    assert skipped > 0 if shortage == "lost_sales" else skipped == 0
    assert steps_skipped > 0 if shortage == "lost_sales" else steps_skipped == 0
    assert runs[0][0] == runs[1][0]
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1], check_exact=True)
