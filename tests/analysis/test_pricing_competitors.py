"""``benchmarks/pricing_competitors.py``: the analyst figure draws its summary's numbers,
the Eq. (3) references (best response, single-firm and joint optimum, Nash), and a tiny
self-play run of both firms is exactly reproducible."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("pettingzoo")

from agents import BaseStockListPrice
from benchmarks.pricing_competitors import (
    analyst_summary,
    expected_profit,
    plot_analyst,
    references,
    selfplay_env,
)
from benchmarks.pricing_fig1 import profits
from scenarios import resolve

CASE_A = {  # case (a)'s result: its tuned heuristics' parameters (as committed)
    "policies": {
        "BSLP": {"parameters": {"level": 29.0, "price": 29.0}},
        "(s,S,p)": {"parameters": {"s": 29.0, "gap": 0.0, "price": 29.0, "slope": 0.2}},
        "myopic": {"parameters": {"level": 26.0}},
    }
}


def test_the_analyst_figure_draws_the_summarys_numbers():
    scenario = resolve("pricing_a")
    learned = BaseStockListPrice(level=27.0, price=31.0)  # in place of the trained PPO
    summary = analyst_summary(scenario, learned, CASE_A, seed_index=0)
    e, c = summary["episode"], summary["price_of_inventory"]
    assert summary["window"] == [0, 99] and len(e["price"]) == 100
    # the episode is the engine's run of that evaluation seed
    seed = summary["seed"]
    assert summary["episode_profit"] == pytest.approx(profits(scenario, learned, [seed], 100)[0])
    assert set(e["price"]) == {31.0} and e["rival"] == [30.0] * 100
    # the rules' prices: BSLP its list price; (s, S, p) 29 + 0.2 (29 - x) above s = 29
    assert c["PPO"] == [31.0] * len(c["x"]) and c["BSLP"] == [29.0] * len(c["x"])
    x = np.array(c["x"])
    ssp = np.where(x < 29, 29.0, np.clip(29.0 + 0.2 * (29.0 - x), 1, 50))
    np.testing.assert_allclose(c["(s,S,p)"], ssp)
    fig = plot_analyst(summary)
    prices, arrivals, inventory, rules = fig.axes
    drawn = [line.get_ydata().tolist() for line in prices.lines]
    assert drawn == [e["price"], e["rival"], e["reference"]]
    assert [p.get_height() for p in arrivals.patches] == e["arrivals"]
    assert [line.get_ydata().tolist() for line in inventory.lines] == [e["on_hand"], e["backlog"]]
    for line, label in zip(rules.lines, ("PPO", "(s,S,p)", "myopic", "BSLP"), strict=True):
        assert line.get_label() == label
        assert line.get_xdata().tolist() == c["x"] and line.get_ydata().tolist() == c[label]
    assert str(seed) in fig._suptitle.get_text() and "periods 0-99" in fig._suptitle.get_text()


def test_eq3_references_by_grid_best_response():
    demand = resolve("pricing_selfplay").market().demand
    ref = references(demand, 10.0, 1.0, 50.0)
    grid = np.arange(1.0, 51.0)
    for o in (5.0, 24.0, 30.0, 44.0):  # the best response is the grid's argmax
        assert ref["best_response"][o] == grid[np.argmax(expected_profit(demand, grid, o, 10.0))]
    # against the fixed rival of case (a): 29, the price Fig. 1's tuned BSLP and PPO chose
    assert ref["single_firm_vs_30"] == 29.0
    # undercut by one down to 24, then jump to 50: an Edgeworth cycle, no pure equilibrium
    br = ref["best_response"]
    assert br[30.0] == 29.0 and br[25.0] == 24.0 and br[22.0] == 50.0 and ref["nash"] == []
    assert ref["joint_price"] > ref["single_firm_vs_30"]


def test_a_tiny_selfplay_run_is_exactly_reproducible():
    import torch

    from agents.learning.multi import MultiConfig, MultiPPO

    def weights():
        env = selfplay_env(resolve("pricing_selfplay"), 2, seed=3)
        config = MultiConfig(total_steps=32, num_envs=2, rollout_steps=16, update_epochs=1)
        learner = MultiPPO(env, config).learn()
        return [torch.cat([p.flatten() for p in learner.nets[f].parameters()]) for f in env.agents]

    first, again = weights(), weights()
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
