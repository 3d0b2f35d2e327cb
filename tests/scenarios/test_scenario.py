"""Scenario files: loading, overrides, the built-in library, and every bad input's message."""

from __future__ import annotations

import re
import tomllib

import pandas as pd
import pytest

from agents import BaseStock
from scenarios import Scenario, ScenarioError, builtin_names, describe, load, parse_path, resolve
from scenarios.scenario import format_path
from sim import SupplyChainModel

BASE = """
name = "two_stage"
description = "a test chain"

[network]
builder = "serial"
args = { n_stages = 2, lead_time = 1, demand = { dist = "poisson", mean = 4 } }

[roles.retailer]
holding_cost = 2.0
policy = { kind = "base_stock", level = 8 }

[roles.manufacturer]
policy = { kind = "base_stock", level = 10 }

[edge_defaults]
order_lead_time = 0

[run]
periods = 30
warmup = 5
replications = 3
seed = 7
"""


def scenario_with(extra: str = "", **replace: str) -> Scenario:
    text = BASE
    for old, new in replace.items():
        text = text.replace(old, new)
    return Scenario.from_dict(tomllib.loads(text + extra))


def test_a_scenario_builds_what_it_declares():
    s = scenario_with(
        '[nodes.stage1]\nbacklog_cost = 11\n[edges."stage2->stage1"]\ncrossing = false\n'
    )
    assert (s.name, s.periods, s.warmup, s.replications, s.seed) == ("two_stage", 30, 5, 3, 7)
    graph = s.network()
    assert graph.nodes["stage1"]["holding_cost"] == 2.0
    assert graph.nodes["stage1"]["backlog_cost"] == 11
    assert graph.edges["stage2", "stage1"]["crossing"] is False
    policies = s.policies(graph)
    assert policies == {"stage1": BaseStock(level=8), "stage2": BaseStock(level=10)}
    model = s.build()
    model.run(s.periods)
    assert len(model.results()) == 2 * 30


def test_node_policy_overrides_role_default():
    s = scenario_with('[agents.stage1]\npolicy = { kind = "constant_order", quantity = 3 }\n')
    assert s.policies()["stage1"].quantity == 3


def test_a_stock_point_of_a_multi_product_network_has_its_own_policy():
    scenario = resolve("owmr_dual_products")
    policies = scenario.policies()
    assert policies["retailer1", "standard"] == BaseStock(level=18)
    assert policies["retailer1", "premium"] == BaseStock(level=10)
    assert policies["warehouse", "premium"].regular_level == 40
    assert "retailer1" not in policies  # every product has its own: no node-wide module
    # the engine takes them per stock point, as modules keyed by hand
    model = scenario.build(seed=3)
    model.run(60)
    graph = scenario.network()
    by_hand = {
        (node, product): scenario.policies()[node, product]
        for node in ("warehouse", "retailer1", "retailer2", "retailer3")
        for product in ("standard", "premium")
    }
    assert by_hand["retailer2", "standard"] == BaseStock(level=18)
    same = SupplyChainModel(graph, by_hand, **scenario.options, seed=3)
    same.run(60)
    pd.testing.assert_frame_equal(model.results(), same.results(), check_exact=True)
    swapped = {**by_hand, ("retailer1", "premium"): BaseStock(level=3)}
    other = SupplyChainModel(graph, swapped, **scenario.options, seed=3)
    other.run(60)
    rows = other.results().set_index(["node", "product"]).sort_index()
    assert rows.loc[("retailer1", "premium"), "backlog"].sum() > 0  # level 3 runs short
    assert not rows.equals(model.results().set_index(["node", "product"]).sort_index())


def test_overrides_by_toml_path():
    s = scenario_with()
    t = s.with_overrides(
        {
            "run.periods": 12,
            "agents.stage1.policy": {"kind": "base_stock", "level": 3},
            'edges["stage2->stage1"].lead_time': {"dist": "gamma", "mean": 2, "std": 1},
        }
    )
    assert t.periods == 12 and s.periods == 30  # the original is untouched
    assert t.policies()["stage1"] == BaseStock(level=3)
    assert t.network().edges["stage2", "stage1"]["lead_time"]["std"] == 1


def test_same_seed_same_table():
    s = scenario_with()
    a, b = s.build(seed=3), s.build(seed=3)
    a.run(20)
    b.run(20)
    pd.testing.assert_frame_equal(a.results(), b.results())


def test_the_vectorized_engine_gives_the_event_engines_table():
    s = scenario_with()
    event = s.build(seed=3)
    vector = s.with_overrides({"run.engine": "vectorized"}).build(seed=3)
    assert type(vector).__name__ == "VectorizedSupplyChainModel"
    event.run(20)
    vector.run(20)
    pd.testing.assert_frame_equal(event.results(), vector.results(), check_exact=True)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("run.periods", ("run", "periods")),
        ('edges."a->b".lead_time.mean', ("edges", "a->b", "lead_time", "mean")),
        ('edges["a->b"].lead_time', ("edges", "a->b", "lead_time")),
        ("agents.stage1.policy.level", ("agents", "stage1", "policy", "level")),
    ],
)
def test_paths_parse_and_format(text, keys):
    assert parse_path(text) == keys
    assert parse_path(format_path(keys)) == keys


BAD = [
    # (extra TOML appended, replacements, expected message)
    (
        "",
        {'name = "two_stage"': 'netwrok = 1\nname = "two_stage"'},
        "netwrok: unknown key; did you mean 'network'?",
    ),
    ("", {"periods = 30": "periods = 0"}, "run.periods: must be an integer >= 1, got 0"),
    ("", {"warmup = 5": "warmup = 30"}, "run.warmup: must be less than run.periods (30), got 30"),
    ("", {"seed = 7": "seed = -1"}, "run.seed: must be an integer >= 0, got -1"),
    (
        "",
        {"seed = 7": 'seed = 7\ndecide = "middle"'},
        "run.decide: must be one of 'start', 'end', got 'middle'",
    ),
    ("", {"seed = 7": "seed = 7\nperiod = 3"}, "run.period: unknown key; did you mean 'periods'?"),
    (
        "",
        {"seed = 7": 'seed = 7\nengine = "vectorized"\nreview = "continuous"'},
        "run.engine: 'vectorized' steps periodic review, batch demand and FIFO or whole-order "
        "allocation only, but run.review is 'continuous'; use engine = \"event\" for it",
    ),
    (
        "",
        {"seed = 7": 'seed = 7\ncharge_in_transit = "yes"'},
        "run.charge_in_transit: must be true or false",
    ),
    (
        "",
        {'builder = "serial"': 'builder = "serail"'},
        "network.builder: unknown builder 'serail'; did you mean 'serial'?",
    ),
    (
        "",
        {"n_stages = 2": "n_stage = 2"},
        "network.args.n_stage: not an argument of networks.serial; did you mean 'n_stages'?",
    ),
    ("", {"n_stages = 2": "n_stages = 0"}, "network.args.n_stages: must be"),
    (
        "",
        {'builder = "serial"': 'builder = "serial"\nfile = "x.graphml"'},
        "network: give exactly one of 'builder'",
    ),
    (
        "[roles.wharehouse]\nholding_cost = 1\n",
        {},
        "roles.wharehouse: unknown role; did you mean 'warehouse'?",
    ),
    (
        "",
        {"holding_cost = 2.0": "holdng_cost = 2.0"},
        "roles.retailer.holdng_cost: unknown key; did you mean 'holding_cost'?",
    ),
    ("[nodes.stag1]\nholding_cost = 1\n", {}, "nodes.stag1: no such node; did you mean 'stage1'?"),
    ("[nodes.stage1]\nholding_cost = -1\n", {}, "nodes.stage1.holding_cost: must be >= 0"),
    ('[nodes.stage1]\nshortage = "lost"\n', {}, "nodes.stage1.shortage: must be one of"),
    (
        '[nodes.stage1]\ndemand = { dist = "poisson", mean = -4 }\n',
        {},
        "nodes.stage1.demand.mean: must be >= 0, got -4",
    ),
    (
        '[edges."stage2->stage1"]\nlead_time = { dist = "gamma", mean = -2, std = 1 }\n',
        {},
        'edges["stage2->stage1"].lead_time.mean: must be > 0, got -2',
    ),
    (
        '[edges."stage1->stage2"]\ncrossing = false\n',
        {},
        "edges[\"stage1->stage2\"]: no such edge (write 'supplier->customer'); did you mean 'stage2->stage1'?",
    ),
    (
        '[edges."stage2->stage1"]\ncrosing = false\n',
        {},
        "edges[\"stage2->stage1\"].crosing: unknown key; did you mean 'crossing'?",
    ),
    (
        "",
        {"order_lead_time = 0": 'lead_time = { dist = "poison", mean = 2 }'},
        "edge_defaults.lead_time.dist: must be one of",
    ),
    (
        "",
        {"order_lead_time = 0": "order_lead_time = -1"},
        "edge_defaults.order_lead_time: must be >= 0",
    ),
    (
        "",
        {'kind = "base_stock", level = 8': 'kind = "base_stok", level = 8'},
        "roles.retailer.policy.kind: unknown policy 'base_stok'; did you mean 'base_stock'?",
    ),
    ("", {"level = 8": "level = -3"}, "roles.retailer.policy.level: must be >= 0, got -3"),
    (
        "",
        {"level = 8": "levl = 8"},
        "roles.retailer.policy.levl: unknown parameter of BaseStock; did you mean 'level'?",
    ),
    (
        "",
        {'policy = { kind = "base_stock", level = 8 }': "policy = 8"},
        "roles.retailer.policy: must be a table with 'kind'",
    ),
    (
        '[agents.stage1]\npolicy = { kind = "agents.nosuchmodule:Policy" }\n',
        {},
        "agents.stage1.policy.kind: cannot import module 'agents.nosuchmodule'",
    ),
    (
        '[agents.stage1]\npolicy = { kind = "agents:BaseStok" }\n',
        {},
        "agents.stage1.policy.kind: module 'agents' has no 'BaseStok'; did you mean 'BaseStock'?",
    ),
    (
        '[agents.stage1]\npolcy = { kind = "base_stock", level = 1 }\n',
        {},
        "agents.stage1.polcy: unknown key; did you mean 'policy'?",
    ),
    (
        '[agents.stage1.products.tea]\npolicy = { kind = "base_stock", level = 1 }\n',
        {},
        "agents.stage1.products.tea: not a product of the network (item)",
    ),
    (
        '[agents.stage1.products.item]\npolcy = { kind = "base_stock", level = 1 }\n',
        {},
        "agents.stage1.products.item.polcy: unknown key; did you mean 'policy'?",
    ),
    (
        '[agents.source]\npolicy = { kind = "base_stock", level = 1 }\n',
        {},
        "agents.source: node 'source' is an external source; it has no policy",
    ),
    (
        "",
        {'[roles.manufacturer]\npolicy = { kind = "base_stock", level = 10 }': ""},
        "agents.stage2.policy: missing; give node 'stage2' a policy or set roles.manufacturer.policy",
    ),
]


@pytest.mark.parametrize(("extra", "replace", "message"), BAD, ids=[m[:40] for *_, m in BAD])
def test_bad_input_names_the_path_and_the_fix(extra, replace, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        scenario_with(extra, **replace)


def test_file_errors_name_the_file(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ScenarioError, match=r"broken.toml: not valid TOML"):
        load(broken)
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace("periods = 30", "periods = 0"))
    with pytest.raises(ScenarioError, match=r"^bad.toml: run.periods: must be an integer >= 1"):
        load(bad)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="did you mean 'beer_game'"):
        resolve("beer_gme")


def test_network_from_a_file_relative_to_the_scenario(tmp_path):
    import networks

    networks.write_graphml(networks.serial(2, lead_time=1), tmp_path / "chain.graphml")
    text = BASE.replace(
        'builder = "serial"\nargs = { n_stages = 2, lead_time = 1, demand = { dist = "poisson", mean = 4 } }',
        'file = "chain.graphml"',
    )
    (tmp_path / "s.toml").write_text(text)
    s = load(tmp_path / "s.toml")
    assert set(s.network().nodes) == {"source", "stage1", "stage2"}
    (tmp_path / "t.toml").write_text(text.replace("chain.graphml", "nope.graphml"))
    with pytest.raises(ScenarioError, match=r"network\.file: .*nope\.graphml' does not exist"):
        load(tmp_path / "t.toml")


def test_every_builtin_scenario_is_valid_and_described():
    names = builtin_names()
    assert {
        "beer_game",
        "clark_scarf",
        "one_warehouse_multi_retailer",
        "assembly",
        "lost_sales",
        "dual_sourcing",
        "lead_time_study",
    } <= set(names)
    described = describe()
    for name in names:
        s = resolve(name)
        assert s.name == name
        assert described[name]
        model = s.build()
        model.run(5)
