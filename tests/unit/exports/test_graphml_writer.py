"""GraphML for Gephi: declared keys with types, weighted directed edges, readable by networkx."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from bot.exports.cells import ColumnType
from bot.exports.graphml_writer import write_graphml
from bot.exports.tables import Column, Table

NS = {"g": "http://graphml.graphdrawing.org/xmlns"}

NODES = Table(
    "network_people_nodes",
    (
        Column("id", ColumnType.ID, "The person's pseudonym.", "m-3f9a1c2b7d4e"),
        Column("label", ColumnType.TEXT, "What Gephi shows.", "m-3f9a1c2b7d4e"),
        Column("organisation", ColumnType.TEXT, "Their organisation.", "WaterAid"),
        Column("contributions", ColumnType.INTEGER, "How much they gave.", "12"),
        Column("visible", ColumnType.BOOLEAN, "Named by choice.", "false"),
    ),
)
EDGES = Table(
    "network_people",
    (
        Column("source", ColumnType.ID, "Who replied.", "m-3f9a1c2b7d4e"),
        Column("target", ColumnType.ID, "To whom.", "m-0a1b2c3d4e5f"),
        Column("weight", ColumnType.NUMBER, "How many replies.", "3"),
        Column("label", ColumnType.TEXT, "An edge attribute named like a node one.", "x"),
    ),
)
NODE_ROWS = [
    ("m-aaaaaaaaaaaa", 'Ana <Água> & "Rios"', "WaterAid\r\nGhana", 12, True),
    ("m-bbbbbbbbbbbb", "m-bbbbbbbbbbbb", None, 0, False),
    ("Ministère de l'Eau", "Ministère de l'Eau\x07", "Ministère", 3, False),
]
EDGE_ROWS = [
    ("m-aaaaaaaaaaaa", "m-bbbbbbbbbbbb", 3, "a to b"),
    ("m-bbbbbbbbbbbb", "m-aaaaaaaaaaaa", 1.5, None),
    ("Ministère de l'Eau", "m-aaaaaaaaaaaa", 2.0, "org"),
]


def written() -> bytes:
    out = io.BytesIO()
    assert write_graphml(NODES, NODE_ROWS, EDGES, EDGE_ROWS, out) == (3, 3)
    return out.getvalue()


def test_keys_are_declared_with_their_types_and_the_weight_is_double() -> None:
    root = ET.fromstring(written())
    keys = {
        (key.get("for"), key.get("attr.name")): key.get("attr.type")
        for key in root.findall("g:key", NS)
    }
    assert keys == {
        ("node", "label"): "string",
        ("node", "organisation"): "string",
        ("node", "contributions"): "long",
        ("node", "visible"): "boolean",
        ("edge", "weight"): "double",
        ("edge", "label"): "string",
    }
    graph = root.find("g:graph", NS)
    assert graph is not None and graph.get("edgedefault") == "directed"
    weight_key = next(
        key.get("id") for key in root.findall("g:key", NS) if key.get("attr.name") == "weight"
    )
    weights = [
        data.text
        for edge in graph.findall("g:edge", NS)
        for data in edge.findall("g:data", NS)
        if data.get("key") == weight_key
    ]
    assert weights == ["3.0", "1.5", "2.0"]


def test_networkx_reads_it_back() -> None:
    graph = nx.read_graphml(io.BytesIO(written()))
    assert graph.is_directed()
    assert set(graph.nodes) == {"m-aaaaaaaaaaaa", "m-bbbbbbbbbbbb", "Ministère de l'Eau"}
    ana = graph.nodes["m-aaaaaaaaaaaa"]
    assert ana == {
        "label": 'Ana <Água> & "Rios"',
        "organisation": "WaterAid\r\nGhana",  # the carriage return survives the XML parser
        "contributions": 12,
        "visible": True,
    }
    assert "organisation" not in graph.nodes["m-bbbbbbbbbbbb"]  # empty cell: no attribute
    assert graph.nodes["Ministère de l'Eau"]["label"] == "Ministère de l'Eau"  # \x07 dropped
    assert graph.edges["m-aaaaaaaaaaaa", "m-bbbbbbbbbbbb"] == {"weight": 3.0, "label": "a to b"}
    assert graph.edges["m-bbbbbbbbbbbb", "m-aaaaaaaaaaaa"] == {"weight": 1.5}
    assert graph.edges["Ministère de l'Eau", "m-aaaaaaaaaaaa"]["weight"] == 2.0


def test_an_empty_network_is_a_valid_graph() -> None:
    out = io.BytesIO()
    assert write_graphml(NODES, [], EDGES, [], out) == (0, 0)
    graph = nx.read_graphml(io.BytesIO(out.getvalue()))
    assert graph.number_of_nodes() == 0 and graph.is_directed()


def test_the_tables_must_name_what_graphml_needs() -> None:
    no_label = Table("nodes", (NODES.columns[0],))
    with pytest.raises(ValueError, match="label"):
        write_graphml(no_label, [], EDGES, [], io.BytesIO())
    text_weight = Table(
        "edges",
        (EDGES.columns[0], EDGES.columns[1], Column("weight", ColumnType.TEXT, "No.", "x")),
    )
    with pytest.raises(ValueError, match="double"):
        write_graphml(NODES, [], text_weight, [], io.BytesIO())


def test_a_text_in_a_number_attribute_is_refused() -> None:
    with pytest.raises(TypeError, match="numbers"):
        write_graphml(NODES, [], EDGES, [("a", "b", "three", None)], io.BytesIO())
