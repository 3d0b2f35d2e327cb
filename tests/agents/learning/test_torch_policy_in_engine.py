"""A TorchPolicy inside the real engines, as any other decision module."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.learning import TorchPolicy  # noqa: E402
from scenarios import resolve  # noqa: E402
from sim import ENGINES  # noqa: E402
from sim.spaces import ActionMapping, ObservationLayout  # noqa: E402


def run(engine, policy, periods=50):
    scenario = resolve("lost_sales")
    graph = scenario.network()
    policies = dict.fromkeys(scenario.policies(graph), policy)
    model = ENGINES[engine](graph, policies, seed=1, **scenario.options)
    model.run(periods)
    return model.results()


@pytest.mark.parametrize("arrival_slots", [0, 1])
def test_fresh_policy_runs_50_periods_in_both_engines(arrival_slots):
    layout = ObservationLayout(suppliers=1, arrival_slots=arrival_slots, scale=5.0)
    policy = TorchPolicy.fresh(layout, ActionMapping(kind="discrete", low=0, high=20), seed=4)
    event = run("event", policy)
    vectorized = run("vectorized", policy)  # act_batch when the layout allows batching
    ordered = event.loc[event["role"] == "retailer", "ordered"].to_numpy()
    assert len(ordered) == 50
    assert ((ordered >= 0) & (ordered <= 20) & (ordered == np.rint(ordered))).all()
    np.testing.assert_array_equal(
        vectorized.loc[vectorized["role"] == "retailer", "ordered"].to_numpy(), ordered
    )


def test_continuous_mapping_orders_within_bounds():
    layout = ObservationLayout(suppliers=1, scale=5.0)
    mapping = ActionMapping(kind="continuous", low=2, high=8)
    table = run("event", TorchPolicy.fresh(layout, mapping, seed=0))
    ordered = table.loc[table["role"] == "retailer", "ordered"].to_numpy()
    assert ((ordered >= 2) & (ordered <= 8)).all()


def test_fresh_policy_refuses_a_mapping_it_cannot_serve():
    policy = TorchPolicy.fresh(ObservationLayout(), ActionMapping(high=10))
    with pytest.raises(ValueError, match="choices"):
        TorchPolicy(policy.network, ObservationLayout(), ActionMapping(high=12))


def test_import_agents_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys, agents, sim; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
