"""Checkpoints and TorchPolicy: round trips, pickling, and refusals with one-line errors."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from agents.learning import (  # noqa: E402
    PPO,
    CheckpointError,
    PPOConfig,
    TorchPolicy,
    load_checkpoint,
    save_checkpoint,
)
from sim.policy import InventoryObservation, ObservationBatch  # noqa: E402
from sim.spaces import ObservationLayout  # noqa: E402


@pytest.fixture
def trained(lost_sales_env, tmp_path):
    """A learner after two small updates (normalised observations, so the statistics
    matter), saved to ``tmp_path / "ckpt"``."""
    env = lost_sales_env(8)
    learner = PPO(
        env, PPOConfig(num_envs=8, rollout_steps=16, total_steps=256, normalize_obs=True, seed=2)
    )
    learner.learn()
    save_checkpoint(
        tmp_path / "ckpt",
        learner.policy,
        obs_rms=learner.obs_rms,
        layout=env.layout,
        mapping=env.mapping,
        fingerprint=env.fingerprint,
        config=learner.config.to_dict(),
        step=learner.step,
    )
    return learner, env, tmp_path / "ckpt"


def observations(n=40, seed=0):
    rng = np.random.default_rng(seed)
    on_hand, due, demand = rng.integers(0, 25, n), rng.integers(0, 15, n), rng.integers(0, 12, n)
    return [
        InventoryObservation(
            period=3,
            node="shop",
            product="widget",
            on_hand=float(h),
            backlog=0.0,
            pipeline=float(d),
            inventory_position=float(h + d),
            demand=float(x),
            suppliers=("source",),
            pipeline_by_supplier=(float(d),),
            arrivals=(float(d),),
        )
        for h, d, x in zip(on_hand, due, demand, strict=True)
    ]


def as_batch(obs):
    column = lambda name: np.array([getattr(o, name) for o in obs])  # noqa: E731
    return ObservationBatch(
        period=3,
        nodes=[o.node for o in obs],
        products=[o.product for o in obs],
        on_hand=column("on_hand"),
        backlog=column("backlog"),
        pipeline=column("pipeline"),
        inventory_position=column("inventory_position"),
        demand=column("demand"),
        pipeline_by_supplier=column("pipeline")[:, None],
        arrivals=column("pipeline")[:, None],
    )


def test_round_trip_gives_the_same_actions(trained, greedy):
    learner, env, folder = trained
    policy = TorchPolicy.load(folder, expect_layout=env.layout)
    obs = observations()
    vectors = env.layout.batch(as_batch(obs))
    expected = env.mapping.quantities(greedy(learner.policy, learner.obs_rms)(vectors, env))[:, 0]
    assert [policy.act(o) for o in obs] == expected.tolist()
    np.testing.assert_array_equal(policy.act_batch(as_batch(obs)), expected)
    assert len(set(expected.tolist())) > 1  # the observations do tell states apart
    meta = json.loads((folder / "policy.json").read_text())
    assert meta["step"] == 256 and meta["algo"] == "ppo" and meta["fingerprint"] == env.fingerprint
    assert meta["layout"] == env.layout.to_dict() and meta["config"]["seed"] == 2
    np.testing.assert_array_equal(load_checkpoint(folder).obs_rms.mean, learner.obs_rms.mean)


def test_policy_is_a_picklable_deterministic_decision_module(trained):
    _, env, folder = trained
    policy = TorchPolicy.load(folder)
    clone = pickle.loads(pickle.dumps(policy))
    obs = observations(seed=1)
    assert (
        [clone.act(o) for o in obs] == [policy.act(o) for o in obs] == [policy.act(o) for o in obs]
    )
    assert clone.observes == env.layout.observes == frozenset({"arrivals"})
    with pytest.raises(AttributeError):
        policy.layout = ObservationLayout()


def one_line(excinfo, *needles):
    message = str(excinfo.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message
    return message


def test_refuses_another_layout(trained):
    _, _, folder = trained
    with pytest.raises(CheckpointError) as e:
        TorchPolicy.load(
            folder, expect_layout=ObservationLayout(suppliers=1, arrival_slots=3, scale=5.0)
        )
    one_line(e, "policy.json", "arrival_slots=1 (engine: 3)")


@pytest.mark.parametrize(
    ("damage", "culprit"),
    [
        (lambda d: (d / "policy.pt").write_bytes(b"\x80\x04garbage bytes, not a zip"), "policy.pt"),
        (
            lambda d: (d / "policy.pt").write_bytes((d / "policy.pt").read_bytes()[:300]),
            "policy.pt",
        ),
        (lambda d: (d / "policy.json").write_text('{"format_version": 1, "net'), "policy.json"),
        (lambda d: (d / "policy.json").write_text('{"format_version": 1}'), "policy.json"),
        (lambda d: (d / "policy.json").write_text('{"format_version": 99}'), "format_version 99"),
        (lambda d: (d / "policy.pt").unlink(), "policy.pt: missing"),
    ],
)
def test_damaged_files_give_one_line_errors(trained, damage, culprit):
    _, _, folder = trained
    damage(folder)
    with pytest.raises(CheckpointError) as e:
        TorchPolicy.load(folder)
    one_line(e, culprit)


def test_a_state_dict_of_another_network_is_refused(trained):
    _, _, folder = trained
    torch.save({"actor.0.weight": torch.zeros(3, 3)}, folder / "policy.pt")
    with pytest.raises(CheckpointError) as e:
        TorchPolicy.load(folder)
    one_line(e, "policy.pt", "does not match policy.json")


def test_not_a_checkpoint_folder(tmp_path):
    with pytest.raises(CheckpointError) as e:
        TorchPolicy.load(tmp_path)
    one_line(e, str(tmp_path), "no policy.json")


def test_a_checkpoint_without_layout_cannot_act(trained, tmp_path):
    learner, _, _ = trained
    folder = save_checkpoint(
        tmp_path / "plain",
        learner.policy,
        obs_rms=None,
        layout=None,
        mapping=None,
        fingerprint="CartPole-v1",
        config={},
        step=0,
    )
    assert load_checkpoint(folder).layout is None  # fine for a plain gymnasium policy
    with pytest.raises(CheckpointError) as e:
        TorchPolicy.load(folder)
    one_line(e, "cannot act in a supply chain")
