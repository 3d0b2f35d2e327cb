"""Per-copy reset on the vectorized engine's copy axis, and the vector environment's own
episode clock per copy (staggered episodes)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from agents import BaseStock, EpochBaseStock, Sterman
from networks import serial
from scenarios import resolve
from sim import EXTERNAL, SupplyChainModel, VectorizedSupplyChainModel
from sim.initial import InitialState

STERMAN = Sterman(
    desired_stock=17,
    stock_adjustment=0.26,
    supply_line_weight=0.34,
    smoothing=0.36,
    initial_expectation=4,
)


def _chain():
    """Three stages with random whole lead times, orders in the mail, lots in transit at the
    start, a module that reads the period (epochs) and one that keeps state (Sterman)."""
    graph = serial(
        3,
        lead_time=[
            {"dist": "poisson", "mean": 1.5},
            2,
            {"dist": "discrete", "values": [1, 3], "probs": [0.5, 0.5]},
        ],
        order_lead_time=[0, 1, 0],
        demand={"dist": "poisson", "mean": 4},
    )
    for u, v in graph.edges:
        graph.edges[u, v].update(initial_pipeline=3, initial_orders=2)
    policies = {
        "stage1": EpochBaseStock(levels=[14, 20], epochs=[0, 3], cycle=5),
        "stage2": STERMAN,
        "stage3": BaseStock(level=30),
    }
    return graph, policies


def _case(name):
    if name in ("chain", "chain_random_start", "chain_scarce_source"):
        graph, policies = _chain()
        options = {"decide": "start"}
        if name == "chain_scarce_source":  # orders wait at the source (its book restarts too)
            graph.nodes["source"]["capacity"] = 3.5
        if name == "chain_random_start":
            options = {
                "decide": "end",
                "initial_state": InitialState(
                    on_hand={"dist": "poisson", "mean": 8},
                    pipeline={"dist": "poisson", "mean": 3},
                    nodes="all",
                ),
            }
        return graph, policies, options
    scenario = resolve(name)  # beer_game: a demand trace; assembly: kits and capacity
    graph = scenario.network()
    return graph, scenario.policies(graph), {"decide": scenario.options["decide"]}


def _copy(frame, k, since=0):
    """Copy ``k``'s rows from period ``since`` on, named and numbered as a run of its own."""
    mine = frame[frame.node.astype(str).str.startswith(f"({k}, ")]
    mine = mine[mine.period >= since].reset_index(drop=True)
    mine["period"] -= since
    for column in ("node", "supplier"):
        if column in mine:
            mine[column] = mine[column].astype(str).str.extract(r"'(.*)'")[0]
    return mine.astype({"node": str})


def _plain(frame):
    frame = frame.reset_index(drop=True).astype({"node": str})
    if "supplier" in frame:
        frame["supplier"] = frame["supplier"].astype(str)
    return frame


@pytest.mark.parametrize(
    "name", ["chain", "chain_random_start", "chain_scarce_source", "beer_game", "assembly"]
)
def test_a_restarted_copy_runs_the_model_of_its_new_seed_and_the_others_run_on(name):
    graph, policies, options = _case(name)
    at, periods = 7, 25
    restarted = VectorizedSupplyChainModel(graph, policies, copies=[3, 4, 5], **options)
    untouched = VectorizedSupplyChainModel(graph, policies, copies=[3, 4, 5], **options)
    restarted.run(at)
    restarted.reset_copies({1: 42})
    restarted.run(periods)
    untouched.run(at + periods)
    assert (restarted.copy_seeds, restarted.copy_starts) == ([3, 42, 5], [0, at, 0])
    single = SupplyChainModel(graph, policies, seed=42, **options)
    single.run(periods)
    for table in ("results", "edges"):
        mine, theirs = (
            (m.results() if table == "results" else m.recorder.edge_frame())
            for m in (restarted, untouched)
        )
        alone = single.results() if table == "results" else single.recorder.edge_frame()
        pd.testing.assert_frame_equal(_copy(mine, 1, since=at), _plain(alone), check_exact=True)
        for k in (0, 2):
            pd.testing.assert_frame_equal(_copy(mine, k), _copy(theirs, k), check_exact=True)


def test_a_copy_restarted_at_period_0_or_twice_is_its_seed_from_the_restart():
    graph, policies, options = _case("chain")
    model = VectorizedSupplyChainModel(graph, policies, copies=[1, 2], **options)
    model.reset_copies({0: 8})  # before anything ran: the model of seeds 8 and 2
    model.run(5)
    model.reset_copies({0: 9, 1: 10})
    model.run(4)
    model.reset_copies({1: 11})
    model.run(12)
    for k, seed, since in ((0, 9, 5), (1, 11, 9)):
        single = SupplyChainModel(graph, policies, seed=seed, **options)
        single.run(21 - since)
        expected = _plain(single.results())
        pd.testing.assert_frame_equal(_copy(model.results(), k, since), expected, check_exact=True)


def test_modules_see_the_period_of_their_copys_run():
    graph, policies, options = _case("chain")
    model = VectorizedSupplyChainModel(graph, policies, copies=[1, 2], **options)
    model.run(3)
    model.reset_copies({1: 5})
    model.run(2)
    i, j = (model.sku_index[(k, "stage1"), model.products[0]] for k in (0, 1))
    assert (model.observe(i, 5).period, model.observe(j, 5).period) == (5, 2)
    assert model.observe_batch(np.array([j])).period == 2
    assert model.observe_batch(np.array([i, j])).period == 5  # copies of two start periods


def test_reset_copies_refuses_a_period_under_way_and_bad_arguments():
    graph, policies, _ = _case("chain")
    policies = {**policies, "stage1": EXTERNAL}
    model = VectorizedSupplyChainModel(graph, policies, copies=[1, 2])
    model.advance(until=4)  # a decision of period 0 waits
    with pytest.raises(ValueError, match=r"^reset_copies: period 0 is under way; .*until=1\)"):
        model.reset_copies({0: 3})
    assert model.advance(np.array([1.0, 1.0]), until=1) is None
    for bad in ({2: 3}, {-1: 3}, {True: 3}, {0: -3}, {0: 1.5}, [3, 4]):
        with pytest.raises(ValueError, match=r"^seeds: must map copy indices 0\.\.1 to integer"):
            model.reset_copies(bad)
    single = VectorizedSupplyChainModel(graph, policies)
    with pytest.raises(ValueError, match=r"^reset_copies: this model has no copies"):
        single.reset_copies({0: 3})


# ---------------------------------------------------------------- the vector environment
gym = pytest.importorskip("gymnasium")

from gymnasium.wrappers.vector import RecordEpisodeStatistics  # noqa: E402

from sim.env import InventoryEnv, InventoryVectorEnv  # noqa: E402


def _episodes(venv, steps, seed=100):
    """Play ``steps`` random actions; each copy's finished episodes as ``(copy, seed, first
    observation, [(action, observation, reward, truncated), ...])``."""
    rng = np.random.default_rng(1)
    n = venv.num_envs
    obs, _ = venv.reset(seed=seed)
    current = [[seed + k, obs[k], []] for k in range(n)]
    done, ended = [], np.zeros(n, dtype=bool)
    for _ in range(steps):
        actions = rng.integers(0, venv.single_action_space.n, size=n)
        obs, rewards, terminated, truncated, _ = venv.step(actions)
        assert not terminated.any()
        for k in range(n):
            if ended[k]:  # the autoreset step: reward 0, the first observation of a new episode
                assert rewards[k] == 0 and not truncated[k]
                current[k] = [venv.model.copy_seeds[k], obs[k], []]
            else:
                current[k][2].append((int(actions[k]), obs[k], rewards[k], bool(truncated[k])))
                if truncated[k]:
                    done.append((k, *current[k]))
        ended = truncated
    return done


def test_staggered_copies_restart_alone_as_single_episodes_of_their_seeds():
    scenario = resolve("beer_game")  # Sterman elsewhere, demand stepping up in week 4
    venv = InventoryVectorEnv.from_scenario(scenario, "retailer", 3, periods=8, stagger=True)
    done = _episodes(venv, 60)
    assert [(k, len(steps)) for k, _, _, steps in done[:6]] == [
        (2, 3),  # first episodes: 8 - k * 8 // 3 periods
        (1, 6),
        (0, 8),
        (2, 8),
        (1, 8),
        (0, 8),
    ]
    assert len(done) == 20 and all(len(steps) == 8 for *_, steps in done[3:])
    assert len({seed for _, seed, _, _ in done}) == 20
    for _, seed, first, steps in done:
        env = InventoryEnv.from_scenario(scenario, "retailer", periods=len(steps))
        obs, _ = env.reset(seed=seed)
        np.testing.assert_array_equal(obs, first)
        for action, expected, reward, truncated in steps:
            obs, r, _, tr, _ = env.step(action)
            np.testing.assert_array_equal(obs, expected)
            assert (r, tr) == (reward, truncated)


def test_a_restart_leaves_the_other_copies_episodes_unchanged():
    """Copy 0's first episode is the same whether or not copies 1 and 2 restart in it."""
    scenario = resolve("lost_sales")
    plays = []
    for stagger in (True, False):
        venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 3, periods=12, stagger=stagger)
        plays.append(next(steps for k, _, _, steps in _episodes(venv, 12) if k == 0))
    assert len(plays[0]) == 12
    for (a, obs, reward, truncated), (b, obs2, reward2, truncated2) in zip(*plays, strict=True):
        np.testing.assert_array_equal(obs, obs2)
        assert (a, reward, truncated) == (b, reward2, truncated2)


def test_vector_env_with_staggered_copies_keeps_gymnasiums_contract():
    scenario = resolve("lost_sales")

    def make():
        return InventoryVectorEnv.from_scenario(scenario, "stage1", 4, periods=10, stagger=True)

    venv, twin = RecordEpisodeStatistics(make()), make()
    assert venv.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP
    obs, _ = venv.reset(seed=3)
    np.testing.assert_array_equal(obs, twin.reset(seed=3)[0])
    lengths, returns, previous = [], [], None
    rng = np.random.default_rng(0)
    for _ in range(45):
        actions = venv.action_space.sample() if previous is None else rng.integers(0, 21, 4)
        step = venv.step(actions)
        for got, expected in zip(step[:4], twin.step(actions)[:4], strict=True):
            np.testing.assert_array_equal(got, expected)  # deterministic given the seed
        obs, rewards, terminated, truncated, info = step
        assert venv.observation_space.contains(obs)
        assert rewards.shape == (4,) and rewards.dtype == np.float64
        assert terminated.dtype == truncated.dtype == np.bool_
        assert previous is None or not np.shares_memory(obs, previous)  # fresh arrays
        previous = obs
        if "episode" in info:
            lengths += info["episode"]["l"][info["_episode"]].tolist()
            returns += info["episode"]["r"][info["_episode"]].tolist()
    assert lengths == [3, 5, 8] + [10] * 13  # first episodes 10 - k * 10 // 4, then 10
    assert all(r < 0 for r in returns)


def test_vector_env_by_default_restarts_every_copy_together_at_period_0():
    scenario = resolve("lost_sales")
    venv = InventoryVectorEnv.from_scenario(scenario, "stage1", 3, periods=4)
    venv.reset(seed=7)
    generator = copy.deepcopy(venv.np_random)
    for _ in range(4):
        *_, truncated, _ = venv.step(np.zeros(3, dtype=np.int64))
    assert truncated.all()
    venv.step(np.zeros(3, dtype=np.int64))
    seed = int(generator.integers(2**31))
    assert venv.model.copy_seeds == [seed, seed + 1, seed + 2]
    assert (venv.model.period, venv.model.copy_starts) == (0, [0, 0, 0])


def test_stagger_is_refused_for_a_learner_with_uneven_reviews():
    scenario = resolve("uneven_review")
    with pytest.raises(ValueError, match=r"^stagger: the learner reviews at uneven epochs"):
        InventoryVectorEnv.from_scenario(scenario, "stage1", 2, stagger=True)
    with pytest.raises(ValueError, match=r"^stagger: must be True or False"):
        InventoryVectorEnv.from_scenario(scenario, "stage1", 2, stagger="yes")
