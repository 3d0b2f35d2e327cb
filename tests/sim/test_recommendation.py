"""The §VI inventory–recommendation model (Eq. (8)–(14)): exact small cases, conservation,
per-customer streams, determinism, the Binomial marginal of Eq. (9), one-line errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.recommendation import (
    BLOCK,
    RecommendationModel,
    RecommendationProblem,
    alias_tables,
    purchase_probabilities,
)
from sim.streams import Purpose, stream


def one_product(shortage: str, **kw) -> RecommendationProblem:
    """One product: every occasion buys it, so demand is sum_j c_j = 3 every period."""
    args = dict(
        ratings=[[1.0, 2.0]],
        r_max=5.0,
        capacity=[2, 1],
        lead_time=1,
        price=10.0,
        cost=4.0,
        holding=1.0,
        penalty=2.0,
        initial_inventory=5.0,
        shortage=shortage,
    )
    return RecommendationProblem(**(args | kw))


class Constant:
    def __init__(self, quantity: float, n: int):
        self.orders = np.full(n, quantity)

    def act(self, obs):
        return self.orders


class Orders:
    def __init__(self, *orders: float):
        self.orders = orders

    def act(self, obs):
        return [self.orders[obs.period]]


@pytest.mark.parametrize(
    ("shortage", "sales", "shortages", "on_hand", "profit"),
    [
        # Eq. (11)-(14) by hand: d = 3, I_-1 = 5, L = 1, q = 2, 0, 4, 0; p 10, c 4, h 1, b 2.
        ("lost", [3, 3, 1, 3], [0, 0, 2, 0], [2, 1, 0, 1], [20, 29, -10, 29]),
        ("backlog", [3, 3, 1, 4], [0, 0, 2, 1], [2, 1, 0, 0], [20, 29, -10, 38]),
    ],
)
def test_hand_computed_trajectory(shortage, sales, shortages, on_hand, profit):
    run = RecommendationModel(one_product(shortage), seed=3).run(4, Orders(2, 0, 4, 0))
    assert run.demand.ravel().tolist() == [3, 3, 3, 3]
    assert run.sales.ravel().tolist() == sales
    assert run.shortage.ravel().tolist() == shortages
    assert run.on_hand.ravel().tolist() == on_hand
    assert run.profit.ravel().tolist() == profit
    assert run.reward.tolist() == profit


def test_lead_time_per_product_and_observation():
    problem = RecommendationProblem(
        ratings=np.zeros((2, 3)), r_max=1.0, capacity=0, lead_time=[0, 2], holding=0.0
    )
    model = RecommendationModel(problem)
    model.advance([1.0, 10.0])
    obs = model.observe()
    assert obs.on_hand.tolist() == [1, 0]
    assert obs.arrivals.tolist() == [[0, 0], [0, 10]]  # due in t = 1 and t = 2
    assert obs.pipeline.tolist() == [0, 10]
    model.advance([0.0, 0.0])
    assert model.on_hand.tolist() == [1, 0]
    model.advance([0.0, 0.0])
    assert model.on_hand.tolist() == [1, 10]


def test_purchase_probabilities_by_hand():
    # Eq. (8) with E = 1: R = 0 + (2 - 0) * 0.5 = 1 and 1 + (2 - 1) * 0.5 = 1.5; Eq. (10).
    problem = RecommendationProblem(ratings=[[0.0], [1.0]], r_max=2.0, normalize="customer")
    gamma = purchase_probabilities(problem, np.array([[0.5], [0.5]]))
    expected = math.e / (math.e + math.exp(1.5))
    assert gamma[:, 0] == pytest.approx([expected, 1 - expected], abs=1e-15)
    # Eq. (8) as written with one customer: alpha = 1, both ratings reach R_max.
    problem = RecommendationProblem(ratings=[[0.0], [1.0]], r_max=2.0)
    assert purchase_probabilities(problem, np.ones((2, 1)))[:, 0].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("n", [1, 2, 5, 50])
def test_alias_tables_reproduce_the_probabilities_exactly(n):
    rng = np.random.default_rng(n)
    p = rng.dirichlet(np.full(n, 0.3), size=40)
    p[0] = np.eye(n)[n - 1]  # a sure product
    p[1] = 1.0 / n  # all equal
    cut, first, second = alias_tables(p)
    got = np.zeros_like(p)
    for j in range(len(p)):
        np.add.at(got[j], first[j], cut[j] / n)
        np.add.at(got[j], second[j], (1.0 - cut[j]) / n)
    assert np.abs(got - p).max() < 1e-14


def test_demand_is_binomial_per_customer_and_product():
    """Eq. (9): one customer with c = 4, three products at fixed intensities."""
    problem = RecommendationProblem(
        ratings=[[0.0], [1.0], [2.0]], r_max=3.0, capacity=4, normalize="customer"
    )
    model = RecommendationModel(problem, seed=11)
    gamma = model.population.gamma[:, 0]
    periods = 20_000
    counts = np.array([model.population.demand() for _ in range(periods)])
    assert (counts.sum(axis=1) == 4).all()
    for i in range(3):
        pmf = [math.comb(4, k) * gamma[i] ** k * (1 - gamma[i]) ** (4 - k) for k in range(5)]
        freq = np.bincount(counts[:, i].astype(int), minlength=5) / periods
        assert np.abs(freq - pmf).max() < 0.012  # ~4 standard errors


@pytest.mark.parametrize("shortage", ["lost", "backlog"])
def test_units_are_conserved(shortage):
    rng = np.random.default_rng(5)
    problem = RecommendationProblem(
        ratings=rng.uniform(0, 3, (4, 30)),
        r_max=3.0,
        capacity=rng.integers(0, 4, 30),
        lead_time=[0, 1, 2, 3],
        initial_inventory=[5, 0, 20, 7],
        shortage=shortage,
        normalize="customer",
    )
    model = RecommendationModel(problem, seed=1)
    orders = rng.integers(0, 25, (60, 4)).astype(float)
    rows = []
    for q in orders:
        alpha = rng.dirichlet(np.ones(4), size=30).T
        model.advance(q, alpha)
        rows.append((model.demand, model.sales, model.shortage))
    demand, sales, shortage_ = (np.array(x) for x in zip(*rows, strict=True))
    pipeline = model.observe().pipeline
    np.testing.assert_array_equal(
        problem.initial_inventory + orders.sum(0), model.on_hand + sales.sum(0) + pipeline
    )
    if shortage == "lost":
        np.testing.assert_array_equal(demand, sales + shortage_)
    else:
        np.testing.assert_array_equal(demand.sum(0), sales.sum(0) + model.backlog)
    assert (model.on_hand >= 0).all() and (sales >= 0).all()


def test_adding_a_customer_leaves_the_others_draws_unchanged():
    """Per-customer normalisation keeps the first five customers' purchase probabilities,
    so the sixth customer's demand is the difference: never negative, its capacity in all."""
    rng = np.random.default_rng(2)
    ratings = rng.uniform(0, 2, (3, 6))
    kw = dict(r_max=2.0, normalize="customer")
    small = RecommendationProblem(ratings=ratings[:, :5], capacity=[1, 0, 3, 2, 1], **kw)
    large = RecommendationProblem(ratings=ratings, capacity=[1, 0, 3, 2, 1, 4], **kw)
    a = RecommendationModel(small, seed=9).population
    b = RecommendationModel(large, seed=9).population
    extra = np.array([b.demand() - a.demand() for _ in range(600)])  # past two refills
    assert extra.min() == 0 and (extra.sum(axis=1) == 4).all()
    assert (extra.max(axis=0) == 4).all()  # the sixth customer buys every product at times


def test_demand_follows_the_documented_draws_when_intensities_change():
    """The module docstring's rule, period by period and customer by customer: customer
    j's stream fills (c_j, BLOCK) uniforms per block; u picks column floor(N u) of its
    alias table, then the first product iff N u - column < cut. Intensities change at
    irregular periods (demand computed ahead with the old ones must be dropped)."""
    rng = np.random.default_rng(4)
    n, m = 4, 25
    problem = RecommendationProblem(
        ratings=rng.uniform(0, 3, (n, m)), r_max=3.0, capacity=rng.integers(0, 4, m)
    )
    model = RecommendationModel(problem, seed=6)
    streams = [stream(6, Purpose.DEMAND, "customer", j) for j in range(m)]
    alphas = [problem.uniform_intensities(), rng.dirichlet(np.ones(m), size=n)]
    for t in range(600):  # past two refills
        if t % BLOCK == 0:
            blocks = [s.random((c, BLOCK)) for s, c in zip(streams, problem.capacity, strict=True)]
        alpha = alphas[t % 2] if t % 11 in (0, 4, 5) else None
        model.advance(np.zeros(n), alpha)
        cut, first, second = alias_tables(np.ascontiguousarray(model.population.gamma.T))
        expected = np.zeros(n)
        for j, block in enumerate(blocks):
            for x in block[:, t % BLOCK] * n:
                k = int(x)
                expected[first[j, k] if x < k + cut[j, k] else second[j, k]] += 1
        np.testing.assert_array_equal(model.demand, expected)


def test_a_period_whose_draw_rounds_to_the_last_column_edge_buys_the_alias():
    """N u can round up to N; it must buy what column N - 1's alias gives (x >= any
    threshold), as the column N - 1 it is clamped to."""
    problem = RecommendationProblem(
        ratings=[[2.5, 0.0], [3.0, 0.0], [0.0, 0.0]],
        r_max=3.0,
        capacity=[2, 1],
        normalize="customer",
    )
    pop = RecommendationModel(problem, seed=0).population
    _, first, second = alias_tables(np.ascontiguousarray(pop.gamma.T))
    assert first[0, 2] != second[0, 2]  # customer 0's column 2 holds two products
    pop.demand()  # fills the block
    pop._block[:, pop._period] = 1.0  # N u = N exactly (u = 1 cannot be drawn; N u rounds)
    pop.set_intensities(problem.uniform_intensities())  # drop demand computed ahead
    expected = np.bincount([second[0, 2], second[0, 2], second[1, 2]], minlength=3)
    assert pop.demand().tolist() == expected.tolist()


def test_same_seed_same_run_other_seed_other_run():
    rng = np.random.default_rng(0)
    problem = RecommendationProblem(ratings=rng.uniform(0, 4, (5, 40)), r_max=4.0, capacity=2)
    module = Constant(6.0, 5)
    runs = [RecommendationModel(problem, seed=s).run(50, module) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0].demand, runs[1].demand)
    np.testing.assert_array_equal(runs[0].profit, runs[1].profit)
    assert not np.array_equal(runs[0].demand, runs[2].demand)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"ratings": [[1.0, 6.0]]},
            "ratings[0, 1] (product 0, customer 1): must lie in [0, r_max=5], got 6",
        ),
        (
            {"ratings": [[1.0, -0.5]]},
            "ratings[0, 1] (product 0, customer 1): must lie in [0, r_max=5], got -0.5",
        ),
        ({"ratings": [1.0, 2.0]}, "ratings: must have shape (N products, M customers), got (2,)"),
        ({"ratings": [[1.0], [2.0, 3.0]]}, "ratings: must be numbers, got list"),
        ({"capacity": [2, -1]}, "capacity[1]: must be >= 0, got -1"),
        ({"capacity": [2, 1, 1]}, "capacity: must be a number or 2 numbers, got shape (3,)"),
        ({"capacity": [2, 0.5]}, "capacity[1]: must be a whole number, got 0.5"),
        ({"lead_time": 1.5}, "lead_time[0]: must be a whole number, got 1.5"),
        ({"holding": [float("nan")]}, "holding[0]: must be finite, got nan"),
        ({"efficiency": 0.0}, "efficiency[0]: must be > 0, got 0"),
        ({"price": "ten"}, "price: must be numbers, got str"),
        ({"shortage": "lose"}, "shortage: must be one of ('lost', 'backlog'), got 'lose'"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, message):
    with pytest.raises(ValueError) as info:
        one_product(**({"shortage": "lost"} | kwargs))
    assert str(info.value) == message


def test_an_error_about_many_customers_names_one_and_stays_on_one_line():
    capacity = np.ones(500)
    capacity[321] = -2
    with pytest.raises(ValueError) as info:
        RecommendationProblem(ratings=np.ones((2, 500)), r_max=1.0, capacity=capacity)
    assert str(info.value) == "capacity[321]: must be >= 0, got -2"


class Returns:
    """A module returning one fixed thing, named by the test."""

    def __init__(self, value):
        self.value = value

    def act(self, obs):
        return self.value


def named(name: str, value) -> Returns:
    return type(name, (Returns,), {})(value)


@pytest.mark.parametrize(
    ("normalize", "intensities", "message"),
    [
        (
            "product",
            np.full((2, 3), 0.5),
            "Shouty: intensities must sum to 1 over customers for each product "
            "(normalize='product'); product 0's sum to 1.5",
        ),
        (
            "customer",
            np.array([[0.5, 0.5, 0.5], [0.5, 0.5, 0.3]]),
            "Shouty: intensities must sum to 1 over products for each customer "
            "(normalize='customer'); customer 2's sum to 0.8",
        ),
        (
            "product",
            np.array([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]),
            "Shouty: intensities must lie in [0, 1], got [-0.5, 1.5]",
        ),
        (
            "product",
            np.full((2, 3), np.nan),
            "Shouty: intensities must lie in [0, 1], got [nan, nan]",
        ),
        (
            "product",
            np.ones((3, 2)) / 3,  # (M, N): customers by products
            "Shouty: intensities must have shape (2, 3), got (3, 2)",
        ),
        ("product", [[1.0, 0.0], [0.5]], "Shouty: intensities: must be numbers, got list"),
    ],
)
def test_bad_intensities_name_the_module(normalize, intensities, message):
    problem = RecommendationProblem(ratings=np.ones((2, 3)), r_max=2.0, normalize=normalize)
    model = RecommendationModel(problem)
    with pytest.raises(ValueError) as info:
        model.run(1, Constant(0.0, 2), named("Shouty", intensities))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ([1.0, 2.0, 3.0], "Wrong: orders must have shape (2,), got (3,)"),
        ([[1.0, 2.0]], "Wrong: orders must have shape (2,), got (1, 2)"),
        (None, "Wrong: orders must have shape (2,), got ()"),
        ([1.0, -1.0], "Wrong: orders must be finite and >= 0, got -1..1"),
        ([1.0, np.inf], "Wrong: orders must be finite and >= 0, got 1..inf"),
        ([1.0, [2.0]], "Wrong: orders: must be numbers, got list"),
    ],
)
def test_bad_orders_name_the_module(orders, message):
    model = RecommendationModel(RecommendationProblem(ratings=np.ones((2, 3)), r_max=2.0))
    with pytest.raises(ValueError) as info:
        model.run(1, named("Wrong", orders))
    assert str(info.value) == message


def test_bad_intensities_given_to_the_model_name_the_argument():
    problem = RecommendationProblem(ratings=np.ones((2, 3)), r_max=2.0)
    with pytest.raises(ValueError, match=r"^intensities: intensities must lie in \[0, 1\]"):
        RecommendationModel(problem, intensities=np.full((2, 3), 2.0))
    model = RecommendationModel(problem)
    with pytest.raises(ValueError, match=r"^intensities: intensities must have shape \(2, 3\)"):
        model.advance(np.zeros(2), np.ones((2, 2)) / 2)
