"""File formats round-trip exactly; malformed files raise errors naming the file."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from networks import (
    NetworkFileError,
    assembly,
    beer_game,
    csv_paths,
    distribution,
    layered,
    read_csv,
    read_graphml,
    read_json,
    serial,
    two_per_echelon,
    write_csv,
    write_graphml,
    write_json,
)
from networks import io as nio

FORMATS = {
    "graphml": (write_graphml, read_graphml, "net.graphml"),
    "json": (write_json, read_json, "net.json"),
    "csv": (write_csv, read_csv, "net.csv"),
}


def typed(value):
    """A value with the type of every scalar inside it, so that 1 != 1.0 != True."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return ("nan", float)
    return (value, type(value))


def assert_same(a: nx.DiGraph, b: nx.DiGraph) -> None:
    assert type(b) is nx.DiGraph
    assert typed(dict(a.graph)) == typed(dict(b.graph))
    assert list(a.nodes) == list(b.nodes)
    assert list(a.edges) == list(b.edges)
    for n in a:
        assert typed(dict(a.nodes[n])) == typed(dict(b.nodes[n])), n
        assert list(a.pred[n]) == list(b.pred[n]), n
        assert list(a.succ[n]) == list(b.succ[n]), n
    for u, v in a.edges:
        assert typed(dict(a.edges[u, v])) == typed(dict(b.edges[u, v])), (u, v)


def round_trip(graph: nx.DiGraph, fmt: str, folder: Path) -> nx.DiGraph:
    write, read, name = FORMATS[fmt]
    write(graph, folder / name)
    return read(folder / name)


def special() -> nx.DiGraph:
    """Every kind of value the formats must keep: dicts, lists, inf, bools, tricky text."""
    g = serial(
        3,
        lead_time=[{"dist": "discrete", "values": [1, 2], "probs": [0.5, 0.5]}, 2.5, 0],
        holding_cost=[{"a": 1, "b": 2.5}, 1, 0.25],
        capacity=[math.inf, math.inf, 7],
        demand={"a": {"dist": "poisson", "mean": 4}, "b": 3},
        products=["a", "b"],
    )
    r = g.nodes["stage1"]
    r.update(
        flag=True,
        off=False,
        big=2**70,
        negative=-1.5e-300,
        neg_inf=-math.inf,
        looks_int="12",
        looks_float="1.5",
        looks_bool="true",
        looks_inf="inf",
        looks_json='{"a": 1}',
        quoted='"x"',
        empty="",
        spaces="  two  words ",
        newline="a\nb",
        unicode="Zürich → 東京",
        nested={"x": [1, 2.0, True, None, {"y": "z"}], "inf": math.inf},
        items=[],
    )
    g.edges["stage2", "stage1"].update(crossing=False, unit_cost=0.1, fixed_cost=10, bom=1)
    g.graph["name"] = "special"
    g.graph["horizon"] = 52
    # a node whose suppliers were added in an order unlike the node order
    g.add_node("zz", role="supplier")
    g.add_edge("zz", "stage1", lead_time=1)
    g.add_node("aa", role="supplier")
    g.add_edge("aa", "stage1", lead_time=1)
    g.add_edge("source", "stage1", lead_time=4)
    g.add_node("lonely", role="supplier")
    return g


BUILT = {
    "serial": lambda: serial(4),
    "beer_game": beer_game,
    "distribution": lambda: distribution(
        4, demand=[1, 2.5, {"dist": "normal", "mean": 3, "std": 1}, 0]
    ),
    "assembly": lambda: assembly(3, bom=[1, 2, 0.5]),
    "layered": lambda: layered([4, 3, 2], density=0.4, seed=5),
    "two_per_echelon": lambda: two_per_echelon(3, seed=2),
    "special": special,
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("build", BUILT.values(), ids=BUILT.keys())
def test_round_trip_is_exact(build, fmt, tmp_path):
    graph = build()
    assert_same(graph, round_trip(graph, fmt, tmp_path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_twice_gives_identical_files(fmt, tmp_path):
    write, read, name = FORMATS[fmt]
    write(special(), tmp_path / name)
    first = (tmp_path / name).read_bytes()
    write(read(tmp_path / name), tmp_path / name)
    assert (tmp_path / name).read_bytes() == first


def test_numpy_and_tuple_values_are_stored_as_python_values(tmp_path):
    g = serial(1, holding_cost=np.float64(1.5), initial_stock=np.int64(3))
    g.nodes["stage1"]["pair"] = (1, 2)
    for fmt in FORMATS:
        h = round_trip(g, fmt, tmp_path)
        assert typed(h.nodes["stage1"]["holding_cost"]) == (1.5, float)
        assert typed(h.nodes["stage1"]["initial_stock"]) == (3, int)
        assert h.nodes["stage1"]["pair"] == [1, 2]


def test_csv_layout(tmp_path):
    g = serial(2, holding_cost=[2, 1])
    g.edges["source", "stage2"]["crossing"] = False
    write_csv(g, tmp_path / "net.csv")
    edges, nodes, graph = csv_paths(tmp_path / "net.csv")
    assert (nodes.name, graph.name) == ("net.nodes.csv", "net.graph.json")
    assert edges.read_text().splitlines() == [
        "source,target,lead_time,order_lead_time,crossing",
        "source,stage2,2,0,false",
        "stage2,stage1,2,0,",
    ]
    assert nodes.read_text().splitlines() == [
        "node,role,echelon,shortage,initial_stock,holding_cost,backlog_cost,lost_sales_cost,"
        "price,demand,capacity",
        "source,supplier,2,,,,,,,,",
        'stage1,retailer,0,backlog,0,2,9.0,0.0,0.0,"{""dist"": ""poisson"", ""mean"": 4}",',
        "stage2,manufacturer,1,backlog,0,1,0.0,0.0,0.0,,inf",
    ]
    assert json.loads(graph.read_text()) == {"products": ["item"]}


def test_hand_written_csv_edge_list_alone(tmp_path):
    (tmp_path / "e.csv").write_text("source,target,lead_time\ns,r,3\n")
    g = read_csv(tmp_path / "e.csv")
    assert list(g.edges(data=True)) == [("s", "r", {"lead_time": 3})]
    assert g.graph == {}


def test_hand_written_graphml_with_json_text(tmp_path):
    path = tmp_path / "hand.graphml"
    path.write_text(
        '<?xml version="1.0"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        ' <key id="k0" for="node" attr.name="demand" attr.type="string"/>\n'
        ' <key id="k1" for="edge" attr.name="lead_time" attr.type="int"/>\n'
        ' <graph edgedefault="directed">\n'
        '  <node id="s"/>\n'
        '  <node id="r"><data key="k0">{"dist": "poisson", "mean": 4}</data></node>\n'
        '  <edge source="s" target="r"><data key="k1">2</data></edge>\n'
        " </graph>\n"
        "</graphml>\n"
    )
    g = read_graphml(path)
    assert g.nodes["r"]["demand"] == {"dist": "poisson", "mean": 4}
    assert typed(g.edges["s", "r"]["lead_time"]) == (2, int)
    assert g.graph == {}


def test_json_keeps_integer_node_names(tmp_path):
    g = nx.DiGraph()
    g.add_edge(1, 2, lead_time=1)
    assert_same(g, round_trip(g, "json", tmp_path))


@pytest.mark.parametrize("fmt", ["graphml", "csv"])
@pytest.mark.parametrize("name", [1, "", "tab\there"])
def test_text_formats_reject_node_names_they_cannot_keep(fmt, name, tmp_path):
    g = nx.DiGraph()
    g.add_node(name)
    with pytest.raises(ValueError, match="names must be non-empty printable str"):
        round_trip(g, fmt, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "node 'n' attribute 'x': None cannot be stored"),
        (object(), "node 'n' attribute 'x': cannot store a value of type object"),
        ({1: 2}, r"node 'n' attribute 'x': mapping keys must be text"),
    ],
)
def test_unstorable_values_are_refused_before_writing(fmt, value, message, tmp_path):
    write, _, name = FORMATS[fmt]
    (tmp_path / name).write_text("old")
    g = nx.DiGraph()
    g.add_node("n", x=value)
    with pytest.raises(ValueError, match=message):
        write(g, tmp_path / name)
    assert (tmp_path / name).read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == [name]


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "net.json"
    target.write_text("old")

    def fail(f):
        f.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        nio._atomic_write(target, fail)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["net.json"]


@pytest.mark.parametrize(
    ("fmt", "files", "message"),
    [
        (
            "graphml",
            {"net.graphml": "<graphml><graph>"},
            r"net\.graphml: line 1 column \d+: not valid XML",
        ),
        (
            "graphml",
            {
                "net.graphml": '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                '<key id="k" for="node" attr.name="demand" attr.type="string"/>'
                '<graph edgedefault="directed"><node id="r"><data key="k">{oops</data></node>'
                "</graph></graphml>"
            },
            r"net\.graphml: node 'r' attribute 'demand': not valid JSON text",
        ),
        (
            "graphml",
            {
                "net.graphml": '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                '<key id="k" for="node" attr.name="n" attr.type="int"/>'
                '<graph edgedefault="directed"><node id="r"><data key="k">x</data></node>'
                "</graph></graphml>"
            },
            r"net\.graphml: not a readable GraphML network",
        ),
        (
            "graphml",
            {
                "net.graphml": '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                '<graph edgedefault="undirected"><node id="r"/></graph></graphml>'
            },
            r"net\.graphml: holds an undirected graph",
        ),
        (
            "json",
            {"net.json": '{"nodes": [\n  {"id": "a"},\n]}'},
            r"net\.json: line 3 column 1: not valid JSON",
        ),
        ("json", {"net.json": '{"nodes": []}'}, r"net\.json: field 'edges': missing or not a list"),
        (
            "json",
            {"net.json": '{"nodes": [{"x": 1}], "edges": []}'},
            r"net\.json: nodes\[0\]: expected",
        ),
        (
            "json",
            {"net.json": '{"nodes": [], "edges": [{"source": "a"}]}'},
            r"net\.json: edges\[0\]: expected an object with 'source' and 'target'",
        ),
        (
            "json",
            {"net.json": '{"directed": false, "nodes": [], "edges": []}'},
            r"net\.json: fields 'directed'",
        ),
        (
            "csv",
            {"net.csv": "from,to\na,b\n"},
            r"net\.csv: line 1: header must start with source,target",
        ),
        (
            "csv",
            {"net.csv": "source,target,x\na,b\nc,d,1\n"},
            r"net\.csv: line 2: expected 3 fields, got 2",
        ),
        (
            "csv",
            {"net.csv": "source,target,lead_time\na,b,1\na,b,2\n"},
            r"net\.csv: line 3: edge 'a'->'b' listed twice",
        ),
        (
            "csv",
            {"net.csv": "source,target,lead_time\na,b,{bad\n"},
            r"net\.csv: line 2 column 'lead_time': not valid JSON text",
        ),
        (
            "csv",
            {"net.csv": "source,target,x,x\na,b,1,2\n"},
            r"net\.csv: line 1: column names must be distinct",
        ),
        ("csv", {"net.csv": "source,target\n,b\n"}, r"net\.csv: line 2 column 'source': empty"),
        (
            "csv",
            {
                "net.csv": "source,target\na,b\n",
                "net.nodes.csv": "node,role\na,supplier\na,retailer\n",
            },
            r"net\.nodes\.csv: line 3: node 'a' listed twice",
        ),
        (
            "csv",
            {"net.csv": "source,target\na,b\n", "net.nodes.csv": 'node,demand\nb,"[1,"\n'},
            r"net\.nodes\.csv: line 2 column 'demand': not valid JSON text",
        ),
        (
            "csv",
            {"net.csv": "source,target\na,b\n", "net.graph.json": "{products: 1}"},
            r"net\.graph\.json: line 1 column 2: not valid JSON",
        ),
        (
            "csv",
            {"net.csv": "source,target\na,b\n", "net.graph.json": "[1]"},
            r"net\.graph\.json: expected a JSON object",
        ),
    ],
)
def test_read_errors_name_the_file(fmt, files, message, tmp_path):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    _, read, name = FORMATS[fmt]
    with pytest.raises(NetworkFileError, match=message):
        read(tmp_path / name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_file_names_the_file(fmt, tmp_path):
    _, read, name = FORMATS[fmt]
    (tmp_path / name).write_bytes(b"source,target\n\xff\xfe,b\n")
    with pytest.raises(NetworkFileError, match=str(tmp_path / name).replace("\\", "\\\\")):
        read(tmp_path / name)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.json"):
        read_json(tmp_path / "nope.json")


# ---------------------------------------------------------------------------- property test
names = st.text(alphabet="abcxyz_-. 0123456789é", min_size=1, max_size=6).filter(str.isprintable)
scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
attr_names = st.text(alphabet="abcdefgh_", min_size=1, max_size=5)
attrs = st.dictionaries(attr_names, values, max_size=4)


@st.composite
def graphs(draw) -> nx.DiGraph:
    g = nx.DiGraph()
    g.graph.update(draw(st.dictionaries(attr_names, values, max_size=2)))
    nodes = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    for n in nodes:
        g.add_node(n, **draw(attrs))
    pairs = st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))
    for u, v in draw(st.lists(pairs, max_size=10, unique=True)):
        reserved = {"source", "target"}
        g.add_edge(u, v, **{k: x for k, x in draw(attrs).items() if k not in reserved})
    return g


@pytest.mark.parametrize("fmt", FORMATS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graph=graphs())
def test_random_graphs_round_trip(fmt, graph, tmp_path):
    for n in graph:
        graph.nodes[n].pop("id", None)
        graph.nodes[n].pop("node", None)
    assert_same(graph, round_trip(graph, fmt, tmp_path))


_XML_ATTACKS = {
    # an external entity reading a local file (XXE)
    "xxe": '<?xml version="1.0"?>\n<!DOCTYPE graphml [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
    '<key id="k" for="node" attr.name="note" attr.type="string"/>'
    '<graph edgedefault="directed"><node id="a"><data key="k">&secret;</data></node>'
    "</graph></graphml>",
    # nested entities that expand to gigabytes (billion laughs)
    "laughs": '<?xml version="1.0"?>\n<!DOCTYPE graphml [<!ENTITY l0 "ha">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + ']>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
    '<key id="k" for="node" attr.name="note" attr.type="string"/>'
    '<graph edgedefault="directed"><node id="a"><data key="k">&l9;</data></node>'
    "</graph></graphml>",
}


@pytest.mark.parametrize("attack", sorted(_XML_ATTACKS))
def test_graphml_with_entities_is_refused_by_defusedxml(tmp_path, monkeypatch, attack):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = tmp_path / "net.graphml"
    path.write_text(_XML_ATTACKS[attack].replace("{secret}", str(secret)))
    parsed = []
    real_parse = nio.SafeET.parse
    monkeypatch.setattr(
        nio.SafeET, "parse", lambda *a, **k: parsed.append(a) or real_parse(*a, **k)
    )
    with pytest.raises(
        NetworkFileError, match=r"net\.graphml: refused: it declares XML entities"
    ) as info:
        read_graphml(path)
    assert parsed  # the hardened parser read the file, not the runtime's plain expat
    assert "TOP-SECRET" not in str(info.value)


def test_a_bad_csv_header_is_not_echoed(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("password=hunter2\n")
    with pytest.raises(NetworkFileError, match=r"line 1: header must start with") as info:
        read_csv(path)
    assert "hunter2" not in str(info.value)
    path.write_text("source,target,hunter2,hunter2\n")
    with pytest.raises(NetworkFileError, match=r"repeated or empty: column 3, 4\)") as info:
        read_csv(path)
    assert "hunter2" not in str(info.value)


def test_json_files_are_standard_json_and_keep_infinite_capacities(tmp_path):
    import json as _json
    import math as _math

    from networks import read_json, serial, write_json

    graph = serial(2, lead_time=1)
    graph.nodes["stage1"]["capacity"] = _math.inf
    path = tmp_path / "net.json"
    write_json(graph, path)

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    _json.loads(path.read_text(), parse_constant=refuse)
    assert read_json(path).nodes["stage1"]["capacity"] == _math.inf
