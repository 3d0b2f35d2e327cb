"""supplysim's event engine against SupplyNetPy on SupplyNetPy's reference tree, side by side.

Infinite suppliers -> distributors -> retailers (1 : 4 : 15 of the nodes), (s, S) at
distributors (100, 400) and retailers (40, 150), exponential lead times of mean 3 on every
link, customers arriving as a Poisson process of rate 1 per period at every retailer, each
buying 10 units whole or not at all, lost sales, whole-order shipping, continuous review,
500 periods. Both models are built faithfully (one event per customer of 10 units).

SupplyNetPy is not a dependency: run this script with a Python that has it
(``pip install supplynetpy==0.5.1`` in a virtual environment, plus this repository's
requirements). Times are CPU seconds of the simulation alone, fastest of ``--repeat`` runs,
the two libraries alternating.

    python benchmarks/supplynetpy.py --nodes 200 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import time

import networkx as nx

from agents import SS
from sim import SupplyChainModel

PERIODS = 500
SHARES = (1, 4, 15)  # suppliers : distributors : retailers
POLICY = {"distributor": (100, 400), "retailer": (40, 150)}


def sizes(nodes: int) -> tuple[int, int, int]:
    unit = nodes // sum(SHARES)
    return tuple(unit * share for share in SHARES)


def supplysim_model(nodes: int, seed: int, record: bool, size: object = 10) -> SupplyChainModel:
    n_sup, n_dist, n_ret = sizes(nodes)
    g = nx.DiGraph()
    lead = {"dist": "exponential", "mean": 3}
    policies = {}
    for k in range(n_sup):
        g.add_node(f"S{k}", role="supplier")
    for k in range(n_dist):
        s, big = POLICY["distributor"]
        g.add_node(f"D{k}", role="warehouse", initial_stock=big, holding_cost=1.0)
        g.add_edge(f"S{k % n_sup}", f"D{k}", lead_time=lead)
        policies[f"D{k}"] = SS(s=s, S=big)
    for k in range(n_ret):
        s, big = POLICY["retailer"]
        g.add_node(
            f"R{k}",
            role="retailer",
            initial_stock=big,
            holding_cost=1.0,
            shortage="lost_sales",
            customer_fill="whole",
            demand={"dist": "compound_poisson", "rate": 1, "size": size},
        )
        g.add_edge(f"D{k % n_dist}", f"R{k}", lead_time=lead)
        policies[f"R{k}"] = SS(s=s, S=big)
    return SupplyChainModel(
        g,
        policies,
        review="continuous",
        arrivals="poisson",
        allocation="whole",
        seed=seed,
        record=record,
    )


def run_supplysim(nodes: int, seed: int, record: bool, size: object = 10) -> dict:
    model = supplysim_model(nodes, seed, record, size)
    start = time.process_time()
    model.run(PERIODS)
    seconds = time.process_time() - start
    out = {"seconds": seconds, "events": next(model.env._eid)}
    if record:
        table = model.results().query("role == 'retailer'")
        out["fill_rate"] = table["sales"].sum() / table["demand"].sum()
        out["mean_on_hand"] = table["holding_cost"].mean()  # time-weighted, holding cost 1
    return out


def run_supplynetpy(nodes: int, seed: int) -> dict:
    import simpy
    import SupplyNetPy.Components as scm

    rng = random.Random(seed)
    env = simpy.Environment()
    n_sup, n_dist, n_ret = sizes(nodes)
    every, links, demands = [], [], []

    def lead() -> float:
        return rng.expovariate(1 / 3)

    sup = [
        scm.Supplier(env=env, ID=f"S{k}", name=f"S{k}", node_type="infinite_supplier")
        for k in range(n_sup)
    ]
    every += sup

    def stocking(name: str, kind: str) -> object:
        s, big = POLICY[kind]
        return scm.InventoryNode(
            env=env,
            ID=name,
            name=name,
            node_type=kind,
            capacity=big,
            initial_level=big,
            inventory_holding_cost=1,
            replenishment_policy=scm.SSReplenishment,
            policy_param={"s": s, "S": big},
            product_sell_price=1,
            product_buy_price=1,
        )

    dist = [stocking(f"D{k}", "distributor") for k in range(n_dist)]
    ret = [stocking(f"R{k}", "retailer") for k in range(n_ret)]
    every += dist + ret
    for k, d in enumerate(dist):
        links.append(
            scm.Link(env=env, ID=f"LD{k}", source=sup[k % n_sup], sink=d, cost=0, lead_time=lead)
        )
    for k, r in enumerate(ret):
        links.append(
            scm.Link(env=env, ID=f"LR{k}", source=dist[k % n_dist], sink=r, cost=0, lead_time=lead)
        )
        demands.append(
            scm.Demand(
                env=env,
                ID=f"C{k}",
                name=f"C{k}",
                order_arrival_model=lambda: rng.expovariate(1.0),
                order_quantity_model=lambda: 10,
                demand_node=r,
            )
        )
    net = scm.create_sc_net(nodes=every, links=links, demands=demands, env=env)
    start = time.process_time()
    scm.simulate_sc_net(net, sim_time=PERIODS, logging=False)
    seconds = time.process_time() - start
    asked = sum(r.stats.demand_received[1] for r in ret)
    lost = sum(r.stats.lost_sales[1] for r in ret)
    on_hand = sum(r.stats.inventory_carry_cost for r in ret) / (len(ret) * PERIODS)
    return {"seconds": seconds, "fill_rate": 1 - lost / asked, "mean_on_hand": on_hand}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="supplysim only")
    args = parser.parse_args()
    print(
        "| nodes | SupplyNetPy s | supplysim no table / table s | drawn sizes s | ratio | events |"
    )
    print("|---|---|---|---|---|---|")
    for nodes in args.nodes:
        best: dict[str, float] = {}
        for rep in range(args.repeat):
            drawn = {"dist": "discrete", "values": [9, 10, 11], "probs": [0.25, 0.5, 0.25]}
            runs = {
                "plain": (run_supplysim, (nodes, rep, False)),
                "table": (run_supplysim, (nodes, rep, True)),
                "drawn": (run_supplysim, (nodes, rep, False, drawn)),
            }
            if not args.no_peer:
                runs["peer"] = (run_supplynetpy, (nodes, rep))
            for name, (run, run_args) in runs.items():
                result = run(*run_args)
                best[name] = min(best.get(name, float("inf")), result["seconds"])
                if name == "plain":
                    best["events"] = result["events"]
                if name in ("table", "peer") and rep == 0:
                    print(
                        f"  {name} {nodes}: fill {result['fill_rate']:.3f}, mean on hand "
                        f"{result['mean_on_hand']:.1f}"
                    )
        peer = best.get("peer", float("nan"))
        print(
            f"| {nodes} | {peer:.2f} | {best['plain']:.2f} / {best['table']:.2f} | "
            f"{best['drawn']:.2f} | {peer / best['plain']:.1f}x | {best['events']:.0f} |"
        )


if __name__ == "__main__":
    main()
