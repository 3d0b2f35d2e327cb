"""Parameters out of range are refused up front, naming the node, edge and field."""

from __future__ import annotations

import re

import numpy as np
import pytest

from networks import NetworkError, read_json, serial, validate
from networks.distributions import MAX_VALUE, parse_distribution
from networks.io import MAX_JSON_DEPTH, write_json


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # std 1e200 used to end in ZeroDivisionError (gamma) / OverflowError (lognormal)
        ({"dist": "gamma", "mean": 2, "std": 1e200}, ".std: must be <= 1e+09, got 1e+200"),
        ({"dist": "lognormal", "mean": 2, "std": 1e200}, ".std: must be <= 1e+09, got 1e+200"),
        # in bounds, but shape (mean/std)^2 underflows to 0
        (
            {"dist": "gamma", "mean": 1e-300, "std": 1e9},
            ": mean=1e-300 and std=1000000000.0 give shape and scale 0.0, inf, out of range",
        ),
        (
            {"dist": "lognormal", "mean": 1e-300, "std": 1e9},
            ": mean=1e-300 and std=1000000000.0 give mu and sigma -inf, inf, out of range",
        ),
        # numpy refuses this mean, only when the run draws it
        ({"dist": "poisson", "mean": 1e308}, ".mean: must be <= 1e+09, got 1e+308"),
        ({"dist": "trace", "values": [1, 1e10]}, ".values[1]: must be a number from 0 to 1e+09"),
    ],
)
def test_out_of_range_demand_names_node_and_field(spec, message):
    graph = serial(2)
    graph.nodes["stage1"]["demand"] = spec
    with pytest.raises(
        NetworkError, match="^" + re.escape("node 'stage1' attribute 'demand'" + message)
    ):
        validate(graph)


def test_out_of_range_lead_time_names_the_edge():
    graph = serial(2)
    graph.edges["stage2", "stage1"]["lead_time"] = {"dist": "gamma", "mean": 2, "std": 1e200}
    with pytest.raises(NetworkError, match=r"^edge 'stage2'->'stage1' attribute 'lead_time'\.std"):
        validate(graph)


def test_bounds_are_inclusive_and_draws_finite():
    rng = np.random.default_rng(0)
    for spec in (
        {"dist": "poisson", "mean": MAX_VALUE},
        {"dist": "gamma", "mean": 2, "std": MAX_VALUE},
        {"dist": "lognormal", "mean": 2, "std": MAX_VALUE},
    ):
        assert np.isfinite(parse_distribution(spec).draw(rng, 0, 100)).all()


def test_deep_json_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "deep.json"
    # 200,000 levels used to end in RecursionError
    path.write_text('{"nodes": [{"id": "a", "x": ' + "[" * 200_000 + "]" * 200_000 + "}]}")
    with pytest.raises(NetworkError, match=f"deep.json: JSON nested deeper than {MAX_JSON_DEPTH}"):
        read_json(path)
    path.write_text('{"nodes": [{"id": "a", "x": ' + "[" * 900 + "]" * 900 + '}], "edges": []}')
    with pytest.raises(NetworkError, match="nested deeper"):  # json reads it; the rest would not
        read_json(path)


def test_ordinary_json_still_reads(tmp_path):
    write_json(serial(3), tmp_path / "net.json")
    validate(read_json(tmp_path / "net.json"))


def test_deep_json_text_in_a_csv_cell_is_refused(tmp_path):
    from networks import read_csv, write_csv

    write_csv(serial(2), tmp_path / "net.csv")
    lines = (tmp_path / "net.csv").read_text().splitlines()
    lines[1] += ',"' + "[" * 50_000 + "]" * 50_000 + '"'
    lines[0] += ",deep"
    (tmp_path / "net.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(NetworkError, match=r"net\.csv: line 2 column 'deep': JSON nested deeper"):
        read_csv(tmp_path / "net.csv")


def test_json_null_is_not_called_deep(tmp_path):
    (tmp_path / "null.json").write_text("null")
    with pytest.raises(NetworkError, match=r"null\.json: expected a JSON object"):
        read_json(tmp_path / "null.json")
