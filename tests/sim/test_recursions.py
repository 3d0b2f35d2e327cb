"""The engine against hand-written textbook recursions on fixed demand traces (exact)."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import pytest

from agents import BaseStock
from sim import SupplyChainModel

TRACE = [3, 7, 0, 12, 5, 4, 9, 1, 6, 2, 8, 0, 0, 11, 3]


def single_stage(*, lead_time, shortage, initial_stock, h=1.0, b=0.0, p=0.0, price=0.0, c=0.0):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node(
        "shop",
        role="retailer",
        demand={"dist": "trace", "values": TRACE},
        shortage=shortage,
        initial_stock=initial_stock,
        holding_cost=h,
        backlog_cost=b,
        lost_sales_cost=p,
        price=price,
    )
    g.add_edge("source", "shop", lead_time=lead_time, unit_cost=c)
    return g


def column(table, node, name):
    return table[table["node"] == node][name].tolist()


@pytest.mark.parametrize("lead_time", [0, 1, 2, 3])
def test_backlog_start_matches_net_inventory_recursion(lead_time):
    level, h, b, c = 10, 1.0, 4.0, 0.5
    model = SupplyChainModel(
        single_stage(lead_time=lead_time, shortage="backlog", initial_stock=6, h=h, b=b, c=c),
        {"shop": BaseStock(level=level)},
        decide="start",
    )
    model.run(len(TRACE))
    table = model.results()

    # Hand recursion: start of t, q_{t-L} arrives; order q_t = (S - IP)^+ arriving at t+L;
    # then NI_t = NI_{t-1} + q_{t-L} + (q_t if L == 0) - d_t; costs on the ending level.
    net, arriving, on_order = 6.0, defaultdict(float), 0.0
    expect = defaultdict(list)
    for t, d in enumerate(TRACE):
        net += arriving[t]
        on_order -= arriving[t]
        q = max(0.0, level - (net + on_order))
        if lead_time == 0:
            net += q
        else:
            arriving[t + lead_time] += q
            on_order += q
        net -= d
        expect["on_hand"].append(max(net, 0.0))
        expect["backlog"].append(max(-net, 0.0))
        expect["ordered"].append(q)
        expect["cost"].append(h * max(net, 0.0) + b * max(-net, 0.0) + c * q)
        expect["pipeline"].append(on_order)
    for name, values in expect.items():
        assert column(table, "shop", name) == values, name


@pytest.mark.parametrize("lead_time", [1, 2, 4])
def test_lost_sales_start_matches_seed_paper_eq_11_to_14(lead_time):
    level, h, p, p_in, p_out = 14, 1.0, 9.0, 2.0, 5.0
    model = SupplyChainModel(
        single_stage(
            lead_time=lead_time,
            shortage="lost_sales",
            initial_stock=5,
            h=h,
            p=p,
            c=p_in,
            price=p_out,
        ),
        {"shop": BaseStock(level=level)},
        decide="start",
    )
    model.run(len(TRACE))
    table = model.results()

    # Eq. (11)-(14) of the seed paper with q_t = (S - I_{t-1} - q_{t-L} - outstanding)^+.
    stock, orders = 5.0, defaultdict(float)
    expect = defaultdict(list)
    for t, d in enumerate(TRACE):
        available = stock + orders[t - lead_time]
        outstanding = sum(orders[k] for k in range(t - lead_time + 1, t))
        q = max(0.0, level - available - outstanding)
        orders[t] = q
        sales = d - max(d - available, 0.0)  # (11)
        lost = max(d - sales, 0.0)  # (12)
        stock = max(available - sales, 0.0)  # (13)
        expect["sales"].append(sales)
        expect["lost"].append(lost)
        expect["on_hand"].append(stock)
        expect["ordered"].append(q)
        expect["profit"].append(p_out * sales - p_in * q - h * stock - p * lost)  # (14)
    for name, values in expect.items():
        assert column(table, "shop", name) == values, name


def two_stage(order_lead_time):
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("dc", role="warehouse", holding_cost=1.0, initial_stock=8)
    g.add_node(
        "shop",
        role="retailer",
        holding_cost=2.0,
        backlog_cost=10.0,
        initial_stock=5,
        demand={"dist": "trace", "values": TRACE},
    )
    g.add_edge("source", "dc", lead_time=2)
    g.add_edge("dc", "shop", lead_time=1, order_lead_time=order_lead_time)
    return g


@pytest.mark.parametrize("order_lead_time", [0, 1, 2])
def test_serial_end_matches_snyder_shen_recursion(order_lead_time):
    s_shop, s_dc = 9, 12
    model = SupplyChainModel(
        two_stage(order_lead_time),
        {"shop": BaseStock(level=s_shop), "dc": BaseStock(level=s_dc)},
        decide="end",
    )
    model.run(len(TRACE))
    table = model.results()

    # Hand recursion, decide="end": arrivals; shop serves its backlog and demand, orders;
    # dc serves the orders that reached it (after the order lead time), ships, orders.
    oh = {"shop": 5.0, "dc": 8.0}
    owed = {"shop": 0.0, "dc": 0.0}
    pipe = {"shop": 0.0, "dc": 0.0}
    arrive = {"shop": defaultdict(float), "dc": defaultdict(float)}
    orders_reaching_dc = defaultdict(float)
    expect = {n: defaultdict(list) for n in oh}
    for t, d in enumerate(TRACE):
        for n in oh:
            oh[n] += arrive[n][t]
            pipe[n] -= arrive[n][t]
        steps = (("shop", d, s_shop, 1, "dc"), ("dc", None, s_dc, 2, "source"))
        for n, demand, level, lead_time, _ in steps:
            new = demand if demand is not None else orders_reaching_dc[t]
            owed[n] += new
            x = min(oh[n], owed[n])
            oh[n] -= x
            owed[n] -= x
            if n == "dc":
                arrive["shop"][t + 1] += x
            q = max(0.0, level - (oh[n] + pipe[n] - owed[n]))
            pipe[n] += q
            if n == "shop":
                orders_reaching_dc[t + order_lead_time] += q
            else:
                arrive["dc"][t + lead_time] += q
            for name, value in (("on_hand", oh[n]), ("backlog", owed[n]), ("pipeline", pipe[n])):
                expect[n][name].append(value)
            expect[n]["ordered"].append(q)
    for n, columns in expect.items():
        for name, values in columns.items():
            assert column(table, n, name) == values, (n, name)


def test_event_log_of_an_order_with_information_delay():
    g = two_stage(order_lead_time=2)
    g.nodes["shop"]["demand"] = {"dist": "trace", "values": [4, 0, 0, 0, 0]}
    model = SupplyChainModel(
        g, {"shop": BaseStock(level=5), "dc": BaseStock(level=8)}, decide="end", log=True
    )
    model.run(5)
    assert model.event_log == [
        (0, "demand", None, "shop", "item", 4, None),
        (0, "order", "dc", "shop", "item", 4.0, None),
        (2, "ship", "dc", "shop", "item", 4.0, 3),
        (2, "order", "source", "dc", "item", 4.0, None),
        (2, "ship", "source", "dc", "item", 4.0, 4),
        (3, "receive", "dc", "shop", "item", 4.0, None),
        (4, "receive", "source", "dc", "item", 4.0, None),
    ]
