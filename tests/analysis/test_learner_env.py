"""The environment a scenario's learner trains in: episode options reach it."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.learning import learner_env
from scenarios import resolve


def test_random_initial_states_reach_the_training_environment():
    scenario = resolve("lost_sales")
    plain = learner_env(scenario, "stage1", 4)
    drawn = learner_env(
        scenario,
        "stage1",
        4,
        initial_state={"on_hand": {"dist": "poisson", "mean": 10}},
    )
    first, _ = plain.reset(seed=5)
    start, _ = drawn.reset(seed=5)
    on_hand = start[:, 0] * drawn.layout.scale
    assert not np.array_equal(first[:, 0], start[:, 0])
    assert len(set(on_hand.tolist())) > 1  # one draw per copy


def test_staggered_copies_end_their_first_episodes_apart():
    env = learner_env(resolve("lost_sales"), "stage1", 4, periods=8, stagger=True)
    env.reset(seed=0)
    ends = []
    for t in range(8):
        _, _, _, truncated, _ = env.step(np.zeros(4, dtype=np.int64))
        ends += [(k, t + 1) for k in np.flatnonzero(truncated).tolist()]
    assert ends == [(3, 2), (2, 4), (1, 6), (0, 8)]


def test_a_market_cannot_stagger():
    with pytest.raises(ValueError, match=r"^stagger: only the vectorized engine"):
        learner_env(resolve("pricing_b"), "stage1", 2, stagger=True)
