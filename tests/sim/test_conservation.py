"""Conservation laws on random networks, policies and options (property-based)."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import BaseStock, ConstantOrder
from sim import SupplyChainModel

lead_times = st.one_of(
    st.integers(0, 3),
    st.builds(lambda m: {"dist": "poisson", "mean": m}, st.floats(0.5, 3)),
    st.builds(
        lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w},
        st.floats(0, 2),
        st.floats(0, 2),
    ),
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.5, 3)),
    st.builds(
        lambda a, m: {"dist": "shifted_exponential", "shift": a, "mean": a + m},
        st.floats(0, 2),
        st.floats(0.1, 2),
    ),
)
demands = st.one_of(
    st.builds(lambda m: {"dist": "poisson", "mean": m}, st.floats(0, 6)),
    st.builds(
        lambda rate, size: {"dist": "compound_poisson", "rate": rate, "size": size},
        st.floats(0, 2),
        st.sampled_from([3, 2.5, {"dist": "geometric", "mean": 3}, {"dist": "poisson", "mean": 2}]),
    ),
)
policies = st.one_of(
    st.builds(BaseStock, level=st.integers(0, 25)),
    st.builds(ConstantOrder, quantity=st.integers(0, 6)),
)


@st.composite
def networks(draw):
    """A serial chain with a distribution fan-out at the bottom: source -> s_k .. -> retailers."""
    g = nx.DiGraph()
    # units the source ships per period to all its customers
    g.add_node("source", role="supplier", capacity=draw(st.sampled_from([np.inf, 4, 6.5])))
    depth = draw(st.integers(1, 3))
    chain = [f"w{k}" for k in range(depth - 1)]
    retailers = [f"r{k}" for k in range(draw(st.integers(1, 3)))]
    capacities = st.sampled_from([float("inf"), float("inf"), 3, 7.5])  # into stock per period
    for name in chain:
        g.add_node(
            name,
            role="warehouse",
            initial_stock=draw(st.integers(0, 10)),
            storage_capacity=draw(st.sampled_from([float("inf"), 10, 14.5])),
            capacity=draw(capacities),
        )
    for name in retailers:
        g.add_node(
            name,
            role="retailer",
            initial_stock=draw(st.integers(0, 10)),
            shortage=draw(st.sampled_from(["backlog", "lost_sales"])),
            customer_fill=draw(st.sampled_from(["partial", "whole"])),
            demand=draw(demands),
            capacity=draw(capacities),
        )
    path = ["source", *chain]
    for u, v in itertools.pairwise(path):
        g.add_edge(u, v, lead_time=draw(lead_times), crossing=draw(st.booleans()))
    for r in retailers:
        g.add_edge(
            path[-1],
            r,
            lead_time=draw(lead_times),
            order_lead_time=draw(st.integers(0, 2)),
            crossing=draw(st.booleans()),
        )
    return g


@settings(max_examples=60, deadline=None)
@given(
    graph=networks(),
    data=st.data(),
    decide=st.sampled_from(["start", "end"]),
    review=st.sampled_from(["periodic", "continuous"]),
    arrivals=st.sampled_from(["batch", "poisson"]),
    allocation=st.sampled_from(["fifo", "proportional", "whole"]),
    seed=st.integers(0, 2**32),
)
def test_stock_and_orders_are_conserved(graph, data, decide, review, arrivals, allocation, seed):
    stocking = [n for n in graph.nodes if n != "source"]
    chosen = {n: data.draw(policies, label=n) for n in stocking}
    model = SupplyChainModel(
        graph,
        chosen,
        decide=decide,
        review=review,
        arrivals=arrivals,
        allocation=allocation,
        seed=seed,
    )
    model.run(25)
    table = model.results()
    edges = model.recorder.edge_frame()
    for node in stocking:
        rows = table[table["node"] == node]
        cum = {
            c: rows[c].cumsum().to_numpy()
            for c in ("received", "refused", "shipped", "sales", "ordered", "demand", "lost")
        }
        on_hand, backlog, pipeline = (
            rows[c].to_numpy() for c in ("on_hand", "backlog", "pipeline")
        )
        initial = graph.nodes[node].get("initial_stock", 0)
        capacity = graph.nodes[node].get("capacity", np.inf)
        # orders: the pipeline is what was ordered and is not in stock: not received yet, or
        # received and still in process (only where a capacity holds receipts back)
        in_process = pipeline - (cum["ordered"] - cum["received"])
        assert (in_process >= -1e-9).all()
        if capacity == np.inf:
            np.testing.assert_allclose(in_process, 0, atol=1e-9)
        # stock: what came in is on hand, in process, went out, or was refused for want of
        # room (stock on hand and in process share it)
        np.testing.assert_allclose(
            initial + cum["received"],
            on_hand + in_process + cum["shipped"] + cum["sales"] + cum["refused"],
            atol=1e-9,
        )
        storage = graph.nodes[node].get("storage_capacity", np.inf)
        assert (on_hand + in_process <= storage + 1e-9).all()
        # at most `capacity` units a period go into stock (receipts go in process first)
        into_stock = np.diff(on_hand, prepend=initial) + rows["shipped"] + rows["sales"]
        assert (into_stock <= capacity + 1e-9).all()
        # demand: every unit asked for is served, lost, or still owed
        np.testing.assert_allclose(
            cum["demand"], cum["sales"] + cum["shipped"] + cum["lost"] + backlog, atol=1e-9
        )
        assert (on_hand >= -1e-9).all() and (backlog >= -1e-9).all() and (pipeline >= -1e-9).all()
        if graph.nodes[node].get("shortage") == "lost_sales":
            assert (rows["backlog"] == 0).all()
        else:
            assert (rows["lost"] == 0).all()
        # in transit on the node's inbound edges never exceeds what is still on order
        transit = edges[edges["node"] == node].groupby("period")["in_transit"].sum().to_numpy()
        assert (transit <= pipeline - in_process + 1e-9).all()
        assert (transit >= -1e-9).all()
    # the source ships at most its capacity a period (shipped: received, or still in transit)
    customers = list(graph.successors("source"))
    mine = edges[edges["supplier"] == "source"].groupby("period")[["ordered", "in_transit"]].sum()
    received = table[table["node"].isin(customers)].groupby("period")["received"].sum()
    shipped = received.to_numpy() + np.diff(mine["in_transit"].to_numpy(), prepend=0.0)
    capacity = graph.nodes["source"]["capacity"]
    assert (shipped <= capacity + 1e-9).all()
    waiting = mine["ordered"].cumsum().to_numpy() - shipped.cumsum()  # or in the mail
    assert (waiting >= -1e-9).all()
    in_mail = any(graph.edges["source", v].get("order_lead_time", 0) for v in customers)
    if allocation != "whole" and not in_mail:  # what waits, waits for want of capacity
        assert (shipped[waiting > 1e-9] >= capacity - 1e-9).all()
