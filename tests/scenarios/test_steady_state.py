"""The beer game starts in steady state, as its scenario files say: with constant demand,
every stage sees demand 4 and orders 4 from week 0 (shipping and mail delays both full)."""

from __future__ import annotations

import pytest

from scenarios import load

STAGES = ["retailer", "wholesaler", "distributor", "factory"]


@pytest.mark.parametrize("engine", ["event", "vectorized"])
def test_beer_game_base_stock_is_in_steady_state_from_week_0(engine):
    scenario = load("scenarios/library/beer_game_base_stock.toml").with_overrides(
        {"network.args.demand": 4, "run.periods": 12, "run.engine": engine}
    )
    model = scenario.build()
    model.run(scenario.periods)
    table = model.results()
    for column, value in (("demand", 4.0), ("ordered", 4.0), ("on_hand", 12.0), ("backlog", 0.0)):
        got = table.pivot(index="period", columns="node", values=column)[STAGES]
        assert (got == value).all().all(), f"{column}:\n{got}"


def test_beer_game_scenarios_fill_both_delays():
    for name in ("beer_game", "beer_game_base_stock"):
        graph = load(f"scenarios/library/{name}.toml").network()
        for u, v, data in graph.edges(data=True):
            assert (data["initial_pipeline"], data["initial_orders"]) == (4, 4), (name, u, v)
            assert (data["lead_time"], data["order_lead_time"]) == (2, 1), (name, u, v)
