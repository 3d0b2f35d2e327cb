"""The command-line training loop: learning curve, checkpoints, resumption."""

from __future__ import annotations

import csv
import json

import pytest

torch = pytest.importorskip("torch")

from agents.learning import CheckpointError, PPOConfig, TorchPolicy, train  # noqa: E402
from agents.learning.trainer import CURVE_COLUMNS  # noqa: E402

BATCH = 4 * 8  # num_envs * rollout_steps


def config(updates, **changes):
    return PPOConfig(num_envs=4, rollout_steps=8, total_steps=updates * BATCH, seed=5, **changes)


def curve(folder):
    with open(folder / "learning_curve.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_train_writes_curve_figure_and_checkpoints(lost_sales_env, tmp_path):
    learner = train(lost_sales_env(4), config(3), tmp_path, progress=False, checkpoint_every=2)
    rows = curve(tmp_path)
    assert [int(r["step"]) for r in rows] == [BATCH, 2 * BATCH, 3 * BATCH]
    assert list(rows[0]) == list(CURVE_COLUMNS)
    assert all(float(r["mean_reward"]) < 0 for r in rows)  # rewards are minus costs
    assert (tmp_path / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["latest", f"step_{2 * BATCH}", f"step_{3 * BATCH}"]
    assert (tmp_path / "checkpoints" / "latest").read_text().strip() == f"step_{3 * BATCH}"
    assert learner.step == 3 * BATCH
    policy = TorchPolicy.load(tmp_path)  # the output folder leads to the latest checkpoint
    assert policy.layout == lost_sales_env(4).layout


def test_resume_continues_the_step_count_and_the_curve(lost_sales_env, tmp_path):
    train(lost_sales_env(4), config(2), tmp_path / "resumed", progress=False, checkpoint_every=1)
    learner = train(
        lost_sales_env(4), config(4), tmp_path / "resumed", progress=False, checkpoint_every=1
    )
    straight = train(lost_sales_env(4), config(4), tmp_path / "straight", progress=False)
    assert learner.step == straight.step == 4 * BATCH
    assert learner.updates == straight.updates == 4
    rows = curve(tmp_path / "resumed")
    assert [int(r["step"]) for r in rows] == [BATCH, 2 * BATCH, 3 * BATCH, 4 * BATCH]
    assert float(rows[2]["wall_seconds"]) >= float(rows[1]["wall_seconds"])
    # Up to the interruption, the resumed run is the straight one.
    assert [r["mean_reward"] for r in rows[:2]] == [
        r["mean_reward"] for r in curve(tmp_path / "straight")[:2]
    ]


def test_resume_drops_curve_rows_after_the_checkpoint(lost_sales_env, tmp_path):
    train(lost_sales_env(4), config(3), tmp_path, progress=False, checkpoint_every=2)
    learner = train(lost_sales_env(4), config(3), tmp_path, progress=False, checkpoint_every=2)
    assert learner.step == 3 * BATCH  # the third update is trained again
    assert [int(r["step"]) for r in curve(tmp_path)] == [BATCH, 2 * BATCH, 3 * BATCH]


def test_resume_refuses_another_configuration(lost_sales_env, tmp_path):
    train(lost_sales_env(4), config(1), tmp_path, progress=False)
    with pytest.raises(CheckpointError, match=r"lr=0\.001 \(now 0\.0003\)"):
        train(lost_sales_env(4), config(2, lr=3e-4), tmp_path, progress=False)


def test_resume_reads_a_checkpoint_from_before_a_config_field_existed(lost_sales_env, tmp_path):
    train(lost_sales_env(4), config(1), tmp_path, progress=False)
    meta_file = tmp_path / "checkpoints" / f"step_{BATCH}" / "policy.json"
    meta = json.loads(meta_file.read_text())
    del meta["config"]["init_log_std"]  # written before the field was added: its default
    meta_file.write_text(json.dumps(meta))
    assert train(lost_sales_env(4), config(2), tmp_path, progress=False).step == 2 * BATCH
    with pytest.raises(CheckpointError, match=r"init_log_std=0\.0 \(now -1\.0\)"):
        train(lost_sales_env(4), config(3, init_log_std=-1.0), tmp_path, progress=False)
