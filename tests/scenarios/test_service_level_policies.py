"""``kind = "base_stock"`` with a service level or per-node levels, and ``run.start =
"steady"``, declared in TOML."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from agents import BaseStock
from scenarios import Scenario, ScenarioError


def scenario(policy: dict, **run) -> Scenario:
    return Scenario.from_dict(
        {
            "network": {
                "builder": "serial",
                "args": {"n_stages": 2, "lead_time": [1, 4], "demand": 4},
            },
            "roles": {"manufacturer": {"policy": policy}, "retailer": {"policy": policy}},
            "run": {"periods": 10, "warmup": 0, "replications": 1, **run},
        }
    )


def test_service_level_gives_every_node_its_level_in_one_module():
    s = scenario({"kind": "base_stock", "service_level": 0.9})
    policies = s.policies()
    assert policies["stage1"] is policies["stage2"]  # one module: one call per echelon
    # constant demand 4: no safety stock, the levels are mean demand over the lead time
    assert policies["stage1"].levels == {"stage1": 4.0, "stage2": 16.0}


def test_levels_by_node_in_toml_and_a_steady_start():
    policy = {"kind": "base_stock", "levels": {"stage1": 7, "stage2": 19}}
    model = scenario(policy, start="steady").build()
    model.run(10)
    table = model.results()
    assert set(table["on_hand"]) == {3.0}  # 7 - 4 * 1 and 19 - 4 * 4 from period 0 on
    assert set(table["backlog"]) == {0.0}


@pytest.mark.parametrize(
    ("policy", "run", "message"),
    [
        ({"kind": "base_stock"}, {}, "give exactly one of level, levels or service_level"),
        ({"kind": "base_stock", "level": 3, "service_level": 0.9}, {}, "got level, service_level"),
        ({"kind": "base_stock", "service_level": 1.0}, {}, "service_level: must be < 1"),
        ({"kind": "constant_order", "quantity": 4}, {"start": "steady"}, "run.start: 'steady'"),
        ({"kind": "base_stock", "level": 3}, {"start": "hot"}, "run.start: must be one of"),
    ],
)
def test_bad_declarations_are_named(policy, run, message):
    with pytest.raises(ScenarioError, match=message):
        scenario(policy, **run)


def test_a_normal_quantile_sets_the_safety_stock():
    g = scenario({"kind": "base_stock", "level": 1}).network()
    g.nodes["stage1"]["demand"] = {"dist": "poisson", "mean": 4}
    bound = BaseStock(service_level=0.9).bind(g, "stage1")
    z = NormalDist().inv_cdf(0.9)
    assert bound.level_of("stage1") == math.ceil(4 + z * 2)  # whole units
    assert bound.level_of("stage2") == math.ceil(16 + z * 2 * 2)
