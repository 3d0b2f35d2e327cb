"""``benchmarks/pricing_fig1.py``'s options and cached results (its learning is tested in
``test_pricing_learning.py``)."""

from __future__ import annotations

import argparse
import json

import pytest

from benchmarks.pricing_fig1 import END_GAME, main, run_case

PPO = {"steps": 3_000_000, "num_envs": 64, "action": "reorder", "finite_horizon": True,
       "end_game": END_GAME}  # fmt: skip


def _args(**changes):
    settings = {**PPO, "seed": 0, "lr": 1e-3, "tune_seeds": 10, "eval_seeds": 300}
    return argparse.Namespace(**{**settings, "action": None, **changes})


def test_a_cached_result_is_reused_only_with_the_settings_it_was_made_with(tmp_path):
    cached = {"case": "c", "eval_seeds": 300, "policies": {"PPO": {**PPO, "profit": 1.0}}}
    (tmp_path / "result.json").write_text(json.dumps(cached), encoding="utf-8")
    assert run_case("c", tmp_path, _args()) == cached  # seed, lr, tune seeds: not recorded
    for changes, named in (
        ({"end_game": 8}, "end_game=16 (now 8)"),
        ({"eval_seeds": 30}, "eval_seeds=300 (now 30)"),
        ({"action": "quantity"}, "action='reorder' (now 'quantity')"),
    ):
        with pytest.raises(SystemExit) as refused:
            run_case("c", tmp_path, _args(**changes))
        assert f"result.json: made with other settings: {named}; delete it" in str(refused.value)


def test_end_game_copies_are_refused_with_a_stationary_learner(capsys):
    with pytest.raises(SystemExit):
        main(["--stationary", "--end-game", "4"])
    assert "--end-game: end-game copies play a finite horizon's end" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--end-game", "64"])
    assert "--end-game: must be in [0, --num-envs), got 64" in capsys.readouterr().err
