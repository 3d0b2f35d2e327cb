"""End-game copies (``learner_env(..., end_game=K)``): K of a finite-horizon learner's copies
play only the problem's last periods from drawn states, so that the learner sees the end
often enough to learn it (the learning smoke test is in ``test_pricing_learning.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.learning import END_GAME_STOCK, learner_env
from scenarios import resolve


def test_end_game_copies_play_the_last_periods_from_drawn_states():
    scenario = resolve("pricing_a")
    vector = learner_env(scenario, "stage1", 6, periods=10, finite_horizon=True, end_game=3)
    layout = vector.layout
    assert layout.horizon == 10 and layout.end_window == 2
    assert [env.periods for env in vector.envs] == [10, 10, 10, 1, 2, 1]
    left = layout.names.index("periods_left")
    stock = layout.names.index("on_hand")
    obs, _ = vector.reset(seed=0)
    # the full copies start where the scenario starts (20 on hand), the end-game copies
    # from their own draws, and each reads the periods left of the problem's last periods
    assert obs[:3, stock] * layout.scale == pytest.approx([20.0] * 3)
    drawn = obs[3:, stock] * layout.scale
    assert len(set(drawn.round(6))) == 3
    assert ((drawn >= 0) & (drawn <= END_GAME_STOCK * layout.scale)).all()
    assert obs[3:, left].tolist() == [0.0, 0.5, 0.0]
    assert obs[:3, left].tolist() == [1.0] * 3
    ended = []
    for _ in range(3):
        _obs, _r, terminated, truncated, _ = vector.step(np.tile([20, 28], (6, 1)))
        assert not truncated.any()
        ended.append(terminated[3:].tolist())
    # copies of one and two periods terminate after them (then autoreset: NEXT_STEP)
    assert ended == [[True, False, True], [False, True, False], [True, False, True]]


def test_a_network_learner_with_end_game_copies_runs_on_the_event_engine():
    """The vectorized engine keeps one clock for all copies; end-game copies need their own,
    so the learner trains on the event engine's copies instead."""
    from sim.env import InventoryVectorEnv

    scenario = resolve("lost_sales")
    assert isinstance(learner_env(scenario, "stage1", 4, finite_horizon=True), InventoryVectorEnv)
    vector = learner_env(scenario, "stage1", 4, finite_horizon=True, end_game=1)
    assert [env.periods for env in vector.envs][-1] == 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"end_game": 2}, "end_game: end-game copies play the last periods of a finite-horizon"),
        ({"end_game": 4, "finite_horizon": True}, "end_game: at most num_envs - 1 = 3 copies"),
        ({"end_game": True, "finite_horizon": True}, "end_game: must be a whole number"),
        ({"end_game": -1, "finite_horizon": True}, "end_game: must be a whole number"),
        ({"end_game_state": {"on_hand": 5}}, "end_game_state: goes with end_game"),
        (
            {"end_game": 1, "finite_horizon": True, "end_game_state": {"on_hand": -1}},
            "end_game_state.on_hand.value: must be >= 0, got -1",
        ),
        (
            {"end_game": 1, "finite_horizon": True, "end_game_state": {"stock": 1}},
            "end_game_state: unknown field",
        ),
    ],
)
def test_bad_end_game_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        learner_env(resolve("pricing_a"), "stage1", 4, **options)


def test_end_game_copies_refuse_a_learner_on_a_review_cycle():
    with pytest.raises(ValueError, match="end_game: the learner reviews on a cycle"):
        learner_env(resolve("uneven_review"), "stage1", 4, finite_horizon=True, end_game=1)


def test_supplysim_train_end_game_needs_a_finite_horizon(tmp_path, capsys):
    from analysis.cli import main

    args = ["train", "pricing_a", "--learners", "stage1", "--end-game", "1"]
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    assert "--end-game: end-game copies play the end of --finite-horizon's problem" in (
        capsys.readouterr().err
    )
    status = main([*args, "--finite-horizon", "--steps", "256", "--num-envs", "2",
                   "--episode-periods", "30", "--out", str(tmp_path / "run")])  # fmt: skip
    assert status == 0, capsys.readouterr().err


def test_a_resumed_run_must_have_the_same_end_game_copies(tmp_path, capsys):
    """The end-game copies shape what is learned without changing the environment's
    fingerprint: the checkpoint records them, and a resume with others is refused."""
    from agents.learning.checkpoint import load_checkpoint
    from analysis.cli import main

    out = tmp_path / "run"
    args = ["train", "pricing_a", "--learners", "stage1", "--finite-horizon", "--steps", "256",
            "--num-envs", "4", "--episode-periods", "30", "--out", str(out)]  # fmt: skip
    assert main([*args, "--end-game", "1"]) == 0, capsys.readouterr().err
    episodes = load_checkpoint(out).meta["episodes"]
    assert episodes["end_game"] == 1 and "uniform" in episodes["end_game_state"]
    capsys.readouterr()
    assert main([*args, "--end-game", "2"]) == 2
    err = capsys.readouterr().err
    assert "trained on episodes {'end_game': 1" in err and "now {'end_game': 2" in err
    assert main(args) == 2  # none now
    assert "now None; use another out_dir" in capsys.readouterr().err
    assert main([*args, "--end-game", "1", "--actions", "reorder"]) == 2
    err = capsys.readouterr().err
    assert "trained with another action mapping: high=39.0 (now 77.0), target='quantity'" in err
    assert "(now 'reorder'); use another out_dir" in err
