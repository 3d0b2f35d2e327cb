"""A model no longer referenced is freed with everything it holds (Mesa 3.3 kept every model
alive through ``mesa.Agent._ids``; see ``sim._mesa_ids``)."""

from __future__ import annotations

import gc
import weakref

from scenarios import resolve
from scenarios.recommendation import recommendation_problem
from sim import SupplyChainModel, VectorizedSupplyChainModel
from sim.recommendation import RecommendationModel


def _freed(build) -> bool:
    model = build()
    ref = weakref.ref(model)
    del model
    gc.collect()
    return ref() is None


def test_models_are_freed_once_unreferenced():
    beer = resolve("beer_game")
    graph = beer.network()
    pricing = resolve("pricing_a")
    priced = pricing.network()

    def played(model):
        model.run(5)
        return model

    assert _freed(lambda: played(SupplyChainModel(graph, beer.policies(graph), **beer.options)))
    assert _freed(
        lambda: played(
            VectorizedSupplyChainModel(graph, beer.policies(graph), copies=[1, 2], **beer.options)
        )
    )
    assert _freed(
        lambda: played(
            SupplyChainModel(
                priced, pricing.policies(priced), market=pricing.market(priced), **pricing.options
            )
        )
    )
    problem = recommendation_problem(n_products=3, n_customers=10)
    assert _freed(lambda: RecommendationModel(problem, seed=1))
