"""``[network] args`` with a ``file``: every reader option is settable from TOML, an unknown
one is an error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import Scenario, ScenarioError

FIXTURES = Path(__file__).parents[1] / "networks" / "fixtures" / "willems"


def scenario(network: dict) -> Scenario:
    return Scenario.from_dict(
        {
            "network": network,
            "roles": {
                role: {"policy": {"kind": "base_stock", "level": 10}}
                for role in ("supplier", "manufacturer", "warehouse", "retailer")
            },
            "run": {"periods": 5, "warmup": 0, "replications": 1},
        }
    )


def test_reader_options_reach_read_willems():
    s = scenario(
        {
            "file": str(FIXTURES),  # a folder: the chain is an option
            "format": "willems",
            "args": {"chain": 1, "holding_cost_rate": 0.5, "stage_cost": "cumulative"},
        }
    )
    graph = s.network()
    assert graph.nodes["Plant"]["holding_cost"] == 0.5 * 10  # cumulative reading, rate 0.5
    assert graph.graph["name"] == "01"


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (
            {"file": str(FIXTURES / "01_SD.csv"), "format": "willems", "args": {"holding_rate": 1}},
            "network.args.holding_rate: not an option of networks.read_willems; "
            "did you mean 'holding_cost_rate'?",
        ),
        (
            {"file": str(FIXTURES / "01_SD.csv"), "format": "willems", "args": {"shortage": "x"}},
            "network.args.shortage: must be one of 'backlog', 'lost_sales', got 'x'",
        ),
        (
            {"file": str(FIXTURES), "format": "willems"},
            "network.args.chain: required with a folder",
        ),
    ],
)
def test_bad_reader_options_name_the_key(network, message):
    with pytest.raises(ScenarioError) as err:
        scenario(network)
    assert str(err.value).startswith(message), str(err.value)


def test_a_reader_without_options_refuses_args(tmp_path):
    import networks

    path = tmp_path / "net.graphml"
    networks.write_graphml(networks.serial(2), path)
    with pytest.raises(
        ScenarioError, match=r"^network\.args\.chain: .*read_graphml; it takes none"
    ):
        scenario({"file": str(path), "args": {"chain": 1}})
