"""``act_batch`` gives, element by element and to the last bit, what ``act`` gives."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import (
    RQ,
    SS,
    BaseStock,
    CappedBaseStock,
    ConstantOrder,
    EpochBaseStock,
)
from networks import random_network
from sim import SupplyChainModel, VectorizedSupplyChainModel
from sim.policy import InventoryObservation, ObservationBatch

numbers = st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 2))
batched = st.one_of(
    st.builds(BaseStock, level=st.floats(0, 40)),
    st.builds(SS, s=st.floats(-5, 15), S=st.floats(16, 40)),
    st.builds(RQ, reorder_point=numbers, quantity=st.sampled_from([0.1, 0.25, 1, 3, 7.5])),
    st.builds(ConstantOrder, quantity=st.floats(0, 10)),
    st.builds(CappedBaseStock, level=st.floats(0, 40), cap=st.floats(0, 10)),
    st.builds(
        EpochBaseStock, levels=st.just((10.0, 25.5)), epochs=st.just((0, 2)), cycle=st.just(3)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    policy=batched,
    positions=st.lists(numbers, min_size=1, max_size=20),
    period=st.integers(0, 10),
)
def test_act_batch_equals_act_elementwise(policy, positions, period):
    n = len(positions)
    ip = np.array(positions, dtype=np.float64)
    zeros = np.zeros(n)
    batch = ObservationBatch(period, ["shop"] * n, ["item"] * n, zeros, zeros, ip, ip, zeros)
    one_by_one = [
        policy.act(
            InventoryObservation(period, "shop", "item", 0.0, 0.0, x, x, 0.0, ("source",), (x,))
        )
        for x in positions
    ]
    got = policy.act_batch(batch)
    assert got.shape == (n,)
    assert got.tolist() == one_by_one


def test_the_vectorized_engine_asks_a_shared_ss_once_per_echelon():
    """One call per echelon and period (not one per stock point), and the event engine's
    table to the last bit."""
    calls = []

    class Counted(SS):
        def act_batch(self, obs):
            calls.append(len(obs.on_hand))
            return super().act_batch(obs)

    graph = random_network(60, depth=3, seed=2, demand={"dist": "poisson", "mean": 3})
    nx.set_edge_attributes(graph, 2, "lead_time")
    policy = Counted(s=8, S=30)
    event = SupplyChainModel(graph, policy, seed=4)
    vector = VectorizedSupplyChainModel(graph, policy, seed=4)
    event.run(30)
    vector.run(30)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)
    assert len(calls) == 30 * len(set(vector.echelons.values()) - {max(vector.echelons.values())})
