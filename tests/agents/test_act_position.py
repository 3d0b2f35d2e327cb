"""``act_position`` gives what ``act`` gives, and the event engine asks a module through it
only when the module's own class defines it (see :mod:`sim.policy`)."""

from __future__ import annotations

import dataclasses

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import RQ, SS, BaseStock, CappedBaseStock, ConstantOrder, DualIndex, Sterman
from sim import SupplyChainModel
from sim.policy import InventoryObservation, decides_by_position

numbers = st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 2))
by_position = st.one_of(
    st.builds(SS, s=st.floats(-5, 15), S=st.floats(16, 40)),
    st.builds(RQ, reorder_point=numbers, quantity=st.sampled_from([0.1, 0.25, 1, 3, 7.5])),
    st.builds(ConstantOrder, quantity=st.floats(0, 10)),
    st.builds(CappedBaseStock, level=st.floats(0, 40), cap=st.floats(0, 10)),
)


@settings(max_examples=300, deadline=None)
@given(policy=by_position, on_hand=numbers, backlog=numbers, pipeline=numbers, demand=numbers)
def test_act_position_equals_act(policy, on_hand, backlog, pipeline, demand):
    ip = on_hand + pipeline - backlog
    obs = InventoryObservation(
        3, "shop", "widget", on_hand, backlog, pipeline, ip, demand, ("source",), (pipeline,)
    )
    assert decides_by_position(type(policy))
    action = policy.act(obs)
    assert type(action) is float
    assert policy.act_position(ip) == action


class Counting:
    """(s, S) that counts how the engine asks it."""

    def __init__(self):
        self.rule, self.asked = SS(s=4, S=20), {"act": 0, "act_position": 0}

    def act(self, obs):
        self.asked["act"] += 1
        return self.rule.act(obs)

    def act_position(self, ip):
        self.asked["act_position"] += 1
        return self.rule.act_position(ip)


class ThroughAct:
    """(s, S) with ``act`` alone: the engine builds it an observation."""

    def act(self, obs):
        return SS(s=4, S=20).act(obs)


class Cautious(SS):
    """A subclass that overrides ``act`` alone: the engine must ask it through ``act``."""

    def act(self, obs):
        return 0.0 if obs.node == "shop" else super().act(obs)


def two_stage(review: str) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node("source", role="supplier")
    g.add_node("depot", role="warehouse", initial_stock=0, holding_cost=0.5)
    g.add_node(
        "shop",
        role="retailer",
        demand={"dist": "poisson", "mean": 4},
        initial_stock=12,
        holding_cost=1.0,
        backlog_cost=5.0,
    )
    g.add_edge("source", "depot", lead_time=2)
    g.add_edge("depot", "shop", lead_time=1)
    return g


def test_which_classes_decide_by_position():
    assert not decides_by_position(BaseStock)  # its level may be per node
    assert not decides_by_position(DualIndex)
    assert not decides_by_position(Sterman)
    assert not decides_by_position(Cautious)  # act overridden, act_position inherited
    assert decides_by_position(SS) and decides_by_position(Counting)
    subclass = dataclasses.make_dataclass("Renamed", [], bases=(SS,), frozen=True, slots=True)
    assert decides_by_position(subclass)  # nothing overridden: SS's own pair


@pytest.mark.parametrize("review", ["periodic", "continuous"])
def test_the_engine_asks_by_position_and_runs_the_same(review):
    options = {"review": review, "arrivals": "poisson" if review == "continuous" else "batch"}
    counting = Counting()
    asked = SupplyChainModel(two_stage(review), counting, seed=4, log=True, **options)
    asked.run(30)
    assert counting.asked["act"] == 0 and counting.asked["act_position"] >= 30
    assert not decides_by_position(ThroughAct)
    plain = SupplyChainModel(two_stage(review), ThroughAct(), seed=4, log=True, **options)
    plain.run(30)
    assert asked.event_log == plain.event_log
    pd.testing.assert_frame_equal(asked.results(), plain.results(), check_exact=True)


def test_a_subclass_overriding_act_is_asked_through_act():
    model = SupplyChainModel(two_stage("periodic"), Cautious(s=4, S=20), seed=4)
    model.run(20)
    table = model.results()
    assert (table.loc[table["node"] == "shop", "ordered"] == 0).all()
    assert (table.loc[table["node"] == "depot", "ordered"] > 0).any()
