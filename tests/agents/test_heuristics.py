"""The textbook heuristics against hand-computed orders, their checks and their state."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import agents
from agents import (
    REGISTRY,
    RQ,
    SS,
    BaseStock,
    CappedBaseStock,
    CappedDualIndex,
    ConstantOrder,
    DemandTrackingBaseStock,
    DemandTrackingSS,
    DualIndex,
    EchelonBaseStock,
    EpochBaseStock,
    Myopic,
    Sterman,
    StermanRunner,
    TailoredBaseSurge,
)
from sim.policy import Policy, StatefulPolicy

# ---------------------------------------------------------------- hand-computed orders


@pytest.mark.parametrize(
    ("policy", "inventory_position", "expected"),
    [
        (BaseStock(level=10), 7, 3.0),
        (BaseStock(level=10), 10, 0.0),
        (BaseStock(level=10), 12, 0.0),
        (BaseStock(level=10), -4, 14.0),  # backlog counts against the position
        (SS(s=5, S=20), 5, 15.0),  # at s: order (Snyder & Shen's "falls to or below s")
        (SS(s=5, S=20), 6, 0.0),
        (SS(s=5, S=20), -3, 23.0),
        (SS(s=-1, S=4), 0, 0.0),
        (RQ(reorder_point=5, quantity=4), 6, 0.0),
        (RQ(reorder_point=5, quantity=4), 5, 4.0),  # 5 + 4 = 9 > 5
        (RQ(reorder_point=5, quantity=4), 1, 8.0),  # 1 + 4 = 5 is not above r: two batches
        (RQ(reorder_point=5, quantity=4), -4, 12.0),  # -4 + 8 = 4 <= 5 < -4 + 12
        (RQ(reorder_point=0.3, quantity=0.1), 0.0, 0.4),  # 3 * 0.1 is 0.30000000000000004
        (RQ(reorder_point=0.75, quantity=0.25), 0.0, 1.0),
        (ConstantOrder(quantity=3), 100, 3.0),
        (ConstantOrder(quantity=0), -5, 0.0),
        (CappedBaseStock(level=10, cap=4), 3, 4.0),
        (CappedBaseStock(level=10, cap=4), 8, 2.0),
        (CappedBaseStock(level=10, cap=4), 12, 0.0),
    ],
)
def test_single_sourcing_orders(policy, inventory_position, expected, obs):
    # inventory_position = on_hand + pipeline - backlog = 2 + 3 - (5 - ip)
    o = obs(on_hand=2.0, pipeline=3.0, backlog=5.0 - inventory_position)
    assert o.inventory_position == pytest.approx(inventory_position)
    q = policy.act(o)
    assert type(q) is float
    assert q == pytest.approx(expected)


def test_echelon_base_stock_uses_the_echelon_position(obs):
    policy = EchelonBaseStock(level=20)
    assert policy.observes == frozenset({"echelon_inventory_position"})
    o = obs(on_hand=1.0, pipeline=2.0, echelon_inventory_position=15.0)
    assert policy.act(o) == 5.0
    assert policy.act(o._replace(echelon_inventory_position=25.0)) == 0.0
    with pytest.raises(ValueError, match="echelon_inventory_position is None"):
        policy.act(o._replace(echelon_inventory_position=None))


@given(
    ip=st.floats(-50, 50, allow_nan=False),
    r=st.floats(-20, 20, allow_nan=False),
    q=st.floats(0.5, 10),
)
@example(ip=1.1538707711912178e-09, r=2.0, q=1.0)  # within the guard of r: three batches
def test_rq_orders_the_fewest_batches_that_lift_the_position_above_r(ip, r, q, obs):
    order = RQ(reorder_point=r, quantity=q).act(obs(on_hand=0.0, backlog=-ip, pipeline=0))
    if ip > r:
        assert order == 0.0
    else:
        n = round(order / q)
        assert n >= 1
        assert order == pytest.approx(n * q)
        assert ip + n * q > r
        # the policy's rounding guard: relative to the larger of |r| and |ip| (at least 1)
        assert ip + (n - 1) * q <= r + 1e-9 * max(1.0, abs(r), abs(ip))


# ---------------------------------------------------------------- dual sourcing

# on_hand 5, backlog 1, due at t+1..t+4: 2, 3, 4, 6; pipeline 15 -> IP = 19.
# expedited lead time 2 -> IP_e = 5 - 1 + 2 + 3 = 9.
DUAL = dict(on_hand=5.0, backlog=1.0, arrivals=(2.0, 3.0, 4.0, 6.0))


@pytest.mark.parametrize(
    ("suppliers", "expected"),
    [
        (("slow", "fast"), (8.0, 3.0)),
        (("fast", "slow"), (3.0, 8.0)),
        (("other", "fast", "slow"), (0.0, 3.0, 8.0)),
    ],
)
def test_dual_index_orders_aligned_with_suppliers(suppliers, expected, obs):
    policy = DualIndex(
        regular_level=30,
        expedited_level=12,
        expedited_lead_time=2,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    # q_e = 12 - 9 = 3; q_r = 30 - (19 + 3) = 8
    action = policy.act(obs(**DUAL, suppliers=suppliers))
    assert action == expected
    assert type(action) is tuple
    assert all(type(q) is float for q in action)


@pytest.mark.parametrize(
    ("lead_time", "expected_fast"),
    [(0, 8.0), (1, 6.0), (2, 3.0), (3, 0.0), (9, 0.0)],  # IP_e = 4, 6, 9, 13, 19
)
def test_dual_index_counts_arrivals_due_within_the_expedited_lead_time(
    lead_time, expected_fast, obs
):
    policy = DualIndex(
        regular_level=30,
        expedited_level=12,
        expedited_lead_time=lead_time,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    q_r, q_e = policy.act(obs(**DUAL, suppliers=("slow", "fast")))
    assert q_e == expected_fast
    assert q_r == max(30 - (19 + q_e), 0.0)


@pytest.mark.parametrize(
    ("suppliers", "expected"),
    [(("slow", "fast"), (4.0, 3.0)), (("fast", "slow"), (3.0, 4.0))],
)
def test_tailored_base_surge_orders_aligned_with_suppliers(suppliers, expected, obs):
    policy = TailoredBaseSurge(
        regular_quantity=4,
        expedited_level=12,
        expedited_lead_time=2,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    assert policy.act(obs(**DUAL, suppliers=suppliers)) == expected
    # enough on hand: no surge, the base order still goes out
    assert policy.act(obs(on_hand=50.0, arrivals=(), suppliers=suppliers)) == tuple(
        4.0 if s == "slow" else 0.0 for s in suppliers
    )


@pytest.mark.parametrize(("cap", "expected_slow"), [(100, 11.0), (4, 4.0), (0, 0.0)])
def test_capped_dual_index_caps_the_regular_order_on_the_position_before_expediting(
    cap, expected_slow, obs
):
    policy = CappedDualIndex(
        regular_level=30,
        expedited_level=12,
        cap=cap,
        expedited_lead_time=2,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    # q_e = 12 - IP_e = 12 - 9 = 3; q_r = min(30 - IP, cap) = min(30 - 19, cap): unlike
    # DualIndex (30 - (19 + 3) = 8) this period's expedited order is not counted
    assert policy.act(obs(**DUAL, suppliers=("fast", "slow"))) == (3.0, expected_slow)
    assert policy.act(obs(on_hand=40.0, arrivals=(), suppliers=("slow", "fast"))) == (0.0, 0.0)


@pytest.mark.parametrize("cls", [DualIndex, TailoredBaseSurge])
def test_dual_sourcing_names_the_missing_supplier_and_needs_arrivals(cls, obs):
    first = "regular_level" if cls is DualIndex else "regular_quantity"
    policy = cls(
        **{first: 30},
        expedited_level=12,
        expedited_lead_time=2,
        regular_supplier="slow",
        expedited_supplier="fast",
    )
    assert policy.observes == frozenset({"arrivals"})
    with pytest.raises(ValueError, match="regular_supplier: 'slow' is not a supplier of node"):
        policy.act(obs(**DUAL, suppliers=("fast", "elsewhere")))
    with pytest.raises(ValueError, match="expedited_supplier: 'fast' is not a supplier"):
        policy.act(obs(**DUAL, suppliers=("slow",)))
    with pytest.raises(ValueError, match="arrivals is None"):
        policy.act(obs(on_hand=1.0, suppliers=("slow", "fast")))


# ---------------------------------------------------------------- Sterman

STERMAN = Sterman(
    desired_stock=20,
    stock_adjustment=0.5,
    supply_line_weight=0.5,
    smoothing=0.25,
    initial_expectation=4,
)


def test_sterman_keeps_its_expectation_across_calls(obs):
    runner = STERMAN.spawn()
    assert isinstance(runner, StermanRunner)
    # L^ = 0.25 * 8 + 0.75 * 4 = 5; order = 5 + 0.5 * (20 - (10 - 2) - 0.5 * 8) = 9
    assert runner.act(obs(on_hand=10.0, backlog=2.0, pipeline=8.0, demand=8.0)) == 9.0
    assert runner.expected_demand == 5.0
    # L^ = 0.75 * 5 = 3.75; 3.75 + 0.5 * (20 - 30 - 5) < 0 -> 0
    assert runner.act(obs(on_hand=30.0, pipeline=10.0, demand=0.0)) == 0.0
    assert runner.expected_demand == 3.75
    # L^ = 0.25 * 4 + 0.75 * 3.75 = 3.8125; stock gap 0
    q = runner.act(obs(on_hand=20.0, pipeline=0.0, demand=4.0))
    assert type(q) is float
    assert q == 3.8125


def test_sterman_runners_are_independent_and_the_value_is_not_a_runner(obs):
    first, second = STERMAN.spawn(), STERMAN.spawn()
    for demand in (8.0, 0.0, 12.0):
        first.act(obs(on_hand=10.0, demand=demand))
    assert second.expected_demand == 4.0
    assert second.act(obs(on_hand=10.0, backlog=2.0, pipeline=8.0, demand=8.0)) == 9.0
    assert first.expected_demand != second.expected_demand
    assert STERMAN.initial_expectation == 4  # the parameters never change
    with pytest.raises(TypeError, match=r"call spawn\(\)"):
        STERMAN.act(obs())
    assert isinstance(STERMAN, StatefulPolicy)
    assert isinstance(first, Policy)


# ---------------------------------------------------------------- parameter checks

DUAL_OK = dict(
    regular_level=30,
    expedited_level=12,
    expedited_lead_time=2,
    regular_supplier="slow",
    expedited_supplier="fast",
)
TBS_OK = {**DUAL_OK, "regular_quantity": 4}
del TBS_OK["regular_level"]
STERMAN_OK = dataclasses.asdict(STERMAN)
MYOPIC_OK = dict(demand=4, holding_cost=1, lost_sales_cost=9, lead_time=2)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (BaseStock, {"level": -3}, "level: must be >= 0, got -3"),
        (BaseStock, {"level": math.nan}, "level: must be a finite number, got nan"),
        (BaseStock, {"level": math.inf}, "level: must be a finite number, got inf"),
        (BaseStock, {"level": "20"}, "level: must be a finite number, got '20'"),
        (BaseStock, {"level": True}, "level: must be a finite number, got True"),
        (EchelonBaseStock, {"level": -1}, "level: must be >= 0, got -1"),
        (SS, {"s": 20, "S": 20}, "s: must be < S (20), got 20"),
        (SS, {"s": 5, "S": -1}, "S: must be >= 0, got -1"),
        (SS, {"s": None, "S": 10}, "s: must be a finite number, got None"),
        (RQ, {"reorder_point": 5, "quantity": 0}, "quantity: must be > 0, got 0"),
        (RQ, {"reorder_point": math.nan, "quantity": 1}, "reorder_point: must be a finite"),
        (ConstantOrder, {"quantity": -0.5}, "quantity: must be >= 0, got -0.5"),
        (CappedBaseStock, {"level": 10, "cap": -1}, "cap: must be >= 0, got -1"),
        (CappedBaseStock, {"level": -10, "cap": 1}, "level: must be >= 0, got -10"),
        (DualIndex, {**DUAL_OK, "regular_level": 10}, "regular_level: must be >= expedited_level"),
        (DualIndex, {**DUAL_OK, "expedited_level": -1}, "expedited_level: must be >= 0, got -1"),
        (
            DualIndex,
            {**DUAL_OK, "expedited_lead_time": 1.5},
            "expedited_lead_time: must be an integer >= 0, got 1.5",
        ),
        (
            DualIndex,
            {**DUAL_OK, "expedited_lead_time": -1},
            "expedited_lead_time: must be an integer >= 0, got -1",
        ),
        (
            DualIndex,
            {**DUAL_OK, "expedited_supplier": "slow"},
            "expedited_supplier: must differ from regular_supplier, got 'slow'",
        ),
        (
            DualIndex,
            {**DUAL_OK, "regular_supplier": None},
            "regular_supplier: must name a supplier node, got None",
        ),
        (
            TailoredBaseSurge,
            {**TBS_OK, "regular_quantity": -2},
            "regular_quantity: must be >= 0, got -2",
        ),
        (
            TailoredBaseSurge,
            {**TBS_OK, "expedited_supplier": ""},
            "expedited_supplier: must name a supplier node, got ''",
        ),
        (Sterman, {**STERMAN_OK, "desired_stock": -1}, "desired_stock: must be >= 0, got -1"),
        (
            Sterman,
            {**STERMAN_OK, "stock_adjustment": 1.5},
            "stock_adjustment: must be <= 1, got 1.5",
        ),
        (
            Sterman,
            {**STERMAN_OK, "supply_line_weight": -0.1},
            "supply_line_weight: must be >= 0, got -0.1",
        ),
        (Sterman, {**STERMAN_OK, "smoothing": 2}, "smoothing: must be <= 1, got 2"),
        (
            Sterman,
            {**STERMAN_OK, "initial_expectation": math.nan},
            "initial_expectation: must be a finite number, got nan",
        ),
        (Myopic, {**MYOPIC_OK, "lead_time": 0}, "lead_time: must be an integer >= 1, got 0"),
        (Myopic, {**MYOPIC_OK, "lead_time": 2.0}, "lead_time: must be an integer >= 1, got 2.0"),
        (Myopic, {**MYOPIC_OK, "periods": 3}, "periods: must be 1 or 2, got 3"),
        (Myopic, {**MYOPIC_OK, "holding_cost": -1}, "holding_cost: must be >= 0, got -1"),
        (Myopic, {**MYOPIC_OK, "lost_sales_cost": "9"}, "lost_sales_cost: must be a finite"),
        (
            Myopic,
            {**MYOPIC_OK, "demand": {"dist": "normal", "mean": 4, "std": 1}},
            "demand: Myopic needs a discrete demand distribution",
        ),
        (
            Myopic,
            {**MYOPIC_OK, "demand": {"dist": "discrete", "values": [1, 2.5], "probs": [0.5, 0.5]}},
            "demand: Myopic works in whole units; got the non-whole value 2.5",
        ),
        (Myopic, {**MYOPIC_OK, "demand": 2.5}, "demand: Myopic works in whole units"),
        (Myopic, {**MYOPIC_OK, "demand": {"dist": "poisson"}}, "demand.mean: missing"),
    ],
)
def test_parameters_are_checked(cls, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(**kwargs)


def test_policies_are_frozen_keyword_only_values():
    policy = BaseStock(level=10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.level = 3
    with pytest.raises(TypeError):
        BaseStock(10)
    assert BaseStock(level=10) == BaseStock(level=10)
    assert hash(BaseStock(level=10)) == hash(BaseStock(level=10))
    assert {Myopic(**MYOPIC_OK), Myopic(**MYOPIC_OK)} == {Myopic(**MYOPIC_OK)}


# ---------------------------------------------------------------- registry


def test_registry_maps_snake_case_names_to_the_exported_classes():
    classes = {name: kind for name, kind in REGISTRY.items() if name != "checkpoint"}
    assert REGISTRY["checkpoint"] is agents.checkpoint  # a factory: it loads a trained policy
    assert set(classes.values()) == {
        BaseStock,
        EchelonBaseStock,
        EpochBaseStock,
        SS,
        DemandTrackingBaseStock,
        DemandTrackingSS,
        RQ,
        ConstantOrder,
        CappedBaseStock,
        Myopic,
        DualIndex,
        CappedDualIndex,
        TailoredBaseSurge,
        Sterman,
        *(getattr(agents, n) for n in agents.pricing.__all__),
    }
    for name, cls in classes.items():
        assert re.fullmatch(r"[a-z]+(_[a-zA-Z]+)*", name), name
        assert cls.__name__ in agents.__all__
        assert dataclasses.is_dataclass(cls)
        assert cls.__doc__ and "Reference" in cls.__doc__
    assert set(agents.__all__) <= set(dir(agents))
    assert REGISTRY["base_stock"](level=3) == BaseStock(level=3)
    assert REGISTRY["s_S"](s=1, S=5) == SS(s=1, S=5)
