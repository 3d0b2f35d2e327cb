"""PPO over price and quantity on a pricing case: a short training beats a random
price/quantity policy clearly (the CI version of ``benchmarks/pricing_fig1.py``), and
``supplysim train`` trains a market firm from the command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

from analysis.learning import learner_env, train_scenario
from benchmarks.pricing_fig1 import profits
from scenarios import resolve
from sim import SupplyChainModel
from sim.policy import Priced


class _Random:
    """Uniform orders on 0..39 and uniform prices on 1..50 (its own generator)."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def act(self, obs):
        return Priced(float(self.rng.integers(0, 40)), float(self.rng.integers(1, 51)))


@pytest.mark.parametrize("action", ["quantity", "position"])
def test_a_short_ppo_run_beats_random_prices_and_orders_clearly(tmp_path, action):
    from agents.learning import TorchPolicy

    scenario = resolve("pricing_b")
    env = learner_env(scenario, "stage1", 2, action=action)
    assert env.single_action_space.nvec.tolist() == [40, 50]
    out = train_scenario(
        scenario, "stage1", tmp_path, steps=8192, seed=2, num_envs=8, progress=False,
        action=action,
    )  # fmt: skip
    policy = TorchPolicy.load(out)
    seeds = [11, 12, 13, 14]
    learned = profits(scenario, policy, seeds, 100)
    random = profits(scenario, _Random(5), seeds, 100)
    first = env.envs[0]
    first.reset(seed=1)
    decision = first._decision
    assert isinstance(policy.act(first.model.observe(decision.index, decision.period)), Priced)
    assert learned.mean() > random.mean() + 50, (learned.mean(), random.mean())


def test_a_short_run_choosing_reorder_points_learns_with_a_fixed_ordering_cost(tmp_path):
    """Case (d) with a reorder point, a level and a price (Fig. 1's form there): an untrained
    network of that form already earns 20-120 a period (it orders batches), so the run
    must beat three of them, not only random prices and orders."""
    from agents.learning import TorchPolicy

    scenario = resolve("pricing_d")
    env = learner_env(scenario, "stage1", 2, action="reorder")
    assert env.single_action_space.nvec.tolist() == [78, 78, 50]
    out = train_scenario(
        scenario, "stage1", tmp_path, steps=8192, seed=2, num_envs=8, progress=False,
        action="reorder",
    )  # fmt: skip
    seeds = [11, 12, 13, 14]
    learned = profits(scenario, TorchPolicy.load(out), seeds, 100).mean()
    untrained = [
        profits(scenario, TorchPolicy.fresh(env.layout, env.mapping, seed=s), seeds, 100).mean()
        for s in range(3)
    ]
    assert learned > max(untrained) + 30, (learned, untrained)  # measured: 190 vs 19-118


def test_supplysim_train_trains_a_market_firm(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.cli",
            "train",
            "pricing_a",
            "--learners",
            "stage1",
            "--steps",
            "512",
            "--num-envs",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from agents.learning import load_checkpoint

    ckpt = load_checkpoint(out)
    assert ckpt.layout.priced and ckpt.mapping.prices == 50
    scenario = resolve("pricing_a").with_overrides(
        {"agents.stage1.policy": {"kind": "checkpoint", "path": str(out)}}
    )
    model = scenario.build(seed=3)  # the scenario accepts it: same layout and fingerprint
    model.run(5)
    assert model.results().price.between(1, 50).all()


def test_compare_on_a_market_reports_profit_first(tmp_path, capsys):
    from analysis.cli import main

    status = main(
        ["compare", "pricing_a", "--policy", "stage1=bslp(level=20, price=29)",
         "--replications", "2", "--periods", "60", "--out", str(tmp_path / "cmp")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    header = next(line for line in out.splitlines() if "cost_per_period" in line)
    assert header.split()[:3] == ["profit_per_period", "cost_per_period", "fill_rate"]
    assert "stage1=bslp(level=20, price=29): profit_per_period" in out


@pytest.mark.parametrize("case", ["a", "b"])
def test_a_constant_level_and_price_is_the_base_stock_list_price_policy(case):
    """Fig. 1's PPO without a fixed cost chooses an order-up-to level and a price
    (``ppo_action``): played constant through the environment, the action earns exactly
    what :class:`agents.BaseStockListPrice` earns in the engine, period by period."""
    from agents import BaseStockListPrice
    from benchmarks.pricing_fig1 import FIRM, ppo_action

    scenario = resolve(f"pricing_{case}")
    assert ppo_action(scenario) == "position"
    assert ppo_action(resolve("pricing_c")) == ppo_action(resolve("pricing_d")) == "reorder"
    env = learner_env(scenario, FIRM, 1, periods=60, action="position").envs[0]
    mapping = env.mapping
    assert mapping.target == "position" and mapping.price(28) == 29.0
    env.reset(seed=7)
    rewards = [env.step(np.array([28, 28]))[1] for _ in range(60)]
    graph = scenario.network()
    policies = {**scenario.policies(graph), FIRM: BaseStockListPrice(level=28, price=29)}
    market = scenario.market(graph)
    model = SupplyChainModel(graph, policies, seed=7, market=market, **scenario.options)
    model.run(60)
    expected = model.results().query("node == @FIRM").profit.to_numpy()
    assert np.array_equal(np.array(rewards), expected)


def test_a_finite_horizon_learner_learns_to_order_nothing_in_the_last_period(tmp_path):
    """Case (c) in 4-period episodes: the last period's order arrives after the end and
    costs its price and the fixed cost; a learner that sees the periods left
    (``finite_horizon``) learns to order nothing then, and still orders at the start."""
    from agents.learning import TorchPolicy

    scenario = resolve("pricing_c")
    out = train_scenario(
        scenario, "stage1", tmp_path, steps=65_536, seed=0, num_envs=8, periods=4,
        progress=False, finite_horizon=True,
    )  # fmt: skip
    policy = TorchPolicy.load(out)
    assert policy.layout.horizon == 4
    orders = _orders_by_period(scenario, policy, 4)
    assert (orders[:, -1] == 0).all() and (orders[:, 0] > 0).all(), orders


def test_a_learner_with_end_game_copies_learns_the_last_period(tmp_path):
    """Case (c) in 10-period episodes, four of eight copies playing the end from drawn
    states (``end_game``): the learner orders nothing in the last period and still orders
    before it (four training seeds measured: all 40 evaluation seeds order nothing last). A
    smoke test that the drawn states and short episodes teach the same problem; it does not
    show the copies are needed: in 10-period episodes the full copies nearly learn the end
    alone (without them, one training seed of two measured ordered nothing last on all 40
    seeds, the other on 38); in 100-period ones they do not (``benchmarks/README.md``,
    Fig. 1)."""
    from agents.learning import TorchPolicy

    scenario = resolve("pricing_c")
    out = train_scenario(
        scenario, "stage1", tmp_path, steps=131_072, seed=0, num_envs=8, periods=10,
        progress=False, finite_horizon=True, end_game=4,
    )  # fmt: skip
    policy = TorchPolicy.load(out)
    assert policy.layout.horizon == 10
    orders = _orders_by_period(scenario, policy, 10)
    assert (orders[:, -1] == 0).all() and orders[:, :-2].mean() > 5, orders[:, -3:]


def _orders_by_period(scenario, policy, periods: int, seeds: int = 40) -> np.ndarray:
    """The firm's orders per period (columns) in ``periods``-period runs of ``seeds`` seeds."""
    graph = scenario.network()
    policies = {**scenario.policies(graph), "stage1": policy}
    orders = []
    for seed in range(seeds):
        model = SupplyChainModel(
            graph, policies, seed=seed, market=scenario.market(graph), **scenario.options
        )
        model.run(periods)
        orders.append(model.results().ordered.to_numpy())
    return np.array(orders)


def test_supplysim_train_finite_horizon_plans_for_the_episode(tmp_path, capsys):
    from agents.learning import load_checkpoint
    from analysis.cli import main

    out = tmp_path / "run"
    args = ["train", "pricing_a", "--learners", "stage1", "--finite-horizon"]
    status = main([*args, "--steps", "256", "--num-envs", "2", "--episode-periods", "30",
                   "--out", str(out)])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert f"--checkpoint stage1={out} --periods 30\n" in capsys.readouterr().out
    layout = load_checkpoint(out).layout
    assert layout.horizon == 30 and layout.names[-4] == "periods_left"
    # the command train prints to evaluate it: the scenario's run fits the horizon
    evaluate = ["evaluate", "pricing_a", "--checkpoint", f"stage1={out}", "--replications", "2"]
    assert main([*evaluate, "--periods", "30", "--out", str(tmp_path / "e")]) == 0, (
        capsys.readouterr().err
    )
    assert main([*evaluate, "--out", str(tmp_path / "e100")]) == 2  # 100 periods
    assert "node 'stage1': the trained policy plans for 30 periods" in capsys.readouterr().err
    no_market = ["evaluate", "lost_sales", "--checkpoint", f"stage1={out}", "--warmup", "0"]
    assert main([*no_market, "--out", str(tmp_path / "e2")]) == 2
    assert "the trained policy expects observations" in capsys.readouterr().err
    # the printed command repeats --set (the fingerprint checks it) and drops the warm-up
    lost = ["train", "lost_sales", "--learners", "stage1", "--finite-horizon", "--set",
            "nodes.stage1.lost_sales_cost=19", "--steps", "256", "--num-envs", "2",
            "--episode-periods", "30", "--out", str(tmp_path / "lost")]  # fmt: skip
    assert main(lost) == 0
    printed = capsys.readouterr().out.splitlines()[-1].split()
    assert printed[printed.index("--set") :] == [
        "--set", "nodes.stage1.lost_sales_cost=19", "--periods", "30", "--warmup", "0"
    ]  # fmt: skip
    assert main([*printed[1:], "--replications", "2", "--out", str(tmp_path / "e3")]) == 0
    assert main([*args, "--algo", "ippo", "--out", str(tmp_path / "team")]) == 2
    assert "--finite-horizon: for one learner (--algo ppo or dqn), not ippo" in (
        capsys.readouterr().err
    )
