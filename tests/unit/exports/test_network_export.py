"""The network export's builders on hand-made stored rows: pseudonyms as node ids, names only as
labels of those who chose them, opted-out people nowhere, small organisations suppressed with
their edges, and both graphs written as GraphML that networkx reads back with their weights."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import networkx as nx

from bot.exports import network
from bot.exports.cells import ColumnType
from bot.exports.graphml_writer import write_graphml
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope
from bot.exports.tables import Row

KEY = b"network builder test key 32 byte"
GUILD = 900_000_000_000_000_001
ANA, BEN, CAT, OUT = 920_000_000_000_000_001, 920_000_000_000_000_002, 920_000_000_000_000_003, 9
ZONE = "Europe/Amsterdam"
FIRST = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LAST = datetime(2026, 12, 9, 14, 5, tzinfo=UTC)


def scope(mode: NameMode = NameMode.PSEUDONYMOUS, min_group: int = 3) -> ExportScope:
    namer = Namer(KEY, mode, visible_names={ANA: "Ana Rios"}, absent={OUT})
    return ExportScope(GUILD, None, None, ZONE, namer, min_group)


def people_nodes(mode: NameMode = NameMode.PSEUDONYMOUS) -> list[Row]:
    stored = [
        (ANA, "WaterAid", "civil society", "national", 3, 1),
        (BEN, "Ministry of Water", "government", "national", 1, 2),
        (CAT, None, None, None, 0, 1),
        (OUT, "WaterAid", "civil society", "local", 1, 1),
    ]
    return list(network.people_node_rows(stored, scope(mode)))


def people_edges() -> list[Row]:
    stored = [
        (ANA, BEN, 2, FIRST, LAST),
        (BEN, ANA, 1, LAST, LAST),
        (ANA, CAT, 1, FIRST, FIRST),
        (OUT, ANA, 4, FIRST, LAST),
        (BEN, OUT, 1, FIRST, FIRST),
    ]
    return list(network.people_edge_rows(stored, scope()))


ORGANISATION_NODES = [
    ("Ministry of Water", "government", "national", 3),
    ("Tiny Trust", "donor", "international", 2),
    ("WaterAid", "civil society", "national", 5),
]
# (source, target, replies, people source, people target, each organisation's people)
ORGANISATION_EDGES = [
    ("Ministry of Water", "WaterAid", 4, 2, 1, 3, 5),
    ("Tiny Trust", "WaterAid", 7, 2, 3, 2, 5),
    ("WaterAid", "Tiny Trust", 1, 1, 1, 5, 2),
    ("WaterAid", "WaterAid", 6, 4, 3, 5, 5),
]


def test_people_nodes_are_pseudonyms_sorted_without_anyone_opted_out() -> None:
    names = scope().namer
    ana, ben, cat = names.pseudonym(ANA), names.pseudonym(BEN), names.pseudonym(CAT)
    assert people_nodes() == sorted(
        [
            (ana, ana, "WaterAid", "civil society", "national", 3, 1),
            (ben, ben, "Ministry of Water", "government", "national", 1, 2),
            (cat, cat, None, None, None, 0, 1),
        ]
    )


def test_a_chosen_name_is_a_label_never_a_node_id() -> None:
    names = scope().namer
    rows = {row[0]: row[1] for row in people_nodes(NameMode.VISIBLE)}
    ana, ben = names.pseudonym(ANA), names.pseudonym(BEN)
    assert rows[ana] == "Ana Rios"
    assert rows[ben] == ben
    assert "Ana Rios" not in rows


def test_people_edges_are_weighted_with_local_times_and_no_opted_out_end() -> None:
    names = scope().namer
    ana, ben, cat = names.pseudonym(ANA), names.pseudonym(BEN), names.pseudonym(CAT)
    first_local, last_local = "2026-12-07T10:30:00+01:00", "2026-12-09T15:05:00+01:00"
    assert people_edges() == [
        (ana, ben, 2.0, 2, FIRST, first_local, LAST, last_local),
        (ben, ana, 1.0, 1, LAST, last_local, LAST, last_local),
        (ana, cat, 1.0, 1, FIRST, first_local, FIRST, first_local),
    ]
    assert all(isinstance(row[2], float) and isinstance(row[3], int) for row in people_edges())


def test_an_organisation_of_two_people_is_left_out_with_every_edge_touching_it() -> None:
    nodes = list(network.organisation_node_rows(ORGANISATION_NODES, scope()))
    assert nodes == [
        ("Ministry of Water", "Ministry of Water", "government", "national", 3),
        ("WaterAid", "WaterAid", "civil society", "national", 5),
    ]
    edges = list(network.organisation_edge_rows(ORGANISATION_EDGES, scope()))
    assert edges == [
        ("Ministry of Water", "WaterAid", 4.0, 4, 2, 1),
        ("WaterAid", "WaterAid", 6.0, 6, 4, 3),  # replies within one organisation: a self-loop
    ]


def test_a_community_that_raised_its_smallest_group_sees_fewer_organisations() -> None:
    nodes = list(network.organisation_node_rows(ORGANISATION_NODES, scope(min_group=4)))
    assert [row[0] for row in nodes] == ["WaterAid"]
    edges = list(network.organisation_edge_rows(ORGANISATION_EDGES, scope(min_group=4)))
    assert [(row[0], row[1]) for row in edges] == [("WaterAid", "WaterAid")]


def test_the_tables_follow_the_graph_and_time_conventions() -> None:
    assert network.NETWORK_PEOPLE.header == (
        "id",
        "label",
        "organisation",
        "stakeholder_group",
        "level",
        "replies_sent",
        "replies_received",
    )
    assert network.NETWORK_PEOPLE_EDGES.header == (
        "source",
        "target",
        "weight",
        "replies",
        "first_reply_utc",
        "first_reply_local",
        "last_reply_utc",
        "last_reply_local",
    )
    assert network.NETWORK_ORGANISATIONS.header == (
        "id",
        "label",
        "stakeholder_group",
        "level",
        "people",
    )
    assert network.NETWORK_ORGANISATION_EDGES.header == (
        "source",
        "target",
        "weight",
        "replies",
        "people_source",
        "people_target",
    )
    for table in (network.NETWORK_PEOPLE_EDGES, network.NETWORK_ORGANISATION_EDGES):
        assert table.column("weight").type is ColumnType.NUMBER
    times = network.NETWORK_PEOPLE_EDGES.types[4:]
    assert times == (ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME) * 2


def test_the_source_pairs_each_graph_with_its_tables() -> None:
    source = network.SOURCE
    assert [t.table.name for t in source.tables] == [
        "network_people",
        "network_people_edges",
        "network_organisations",
        "network_organisation_edges",
    ]
    assert [(g.file_name, g.nodes.table.name, g.edges.table.name) for g in source.graphs] == [
        ("network_people.graphml", "network_people", "network_people_edges"),
        ("network_organisations.graphml", "network_organisations", "network_organisation_edges"),
    ]
    assert source.rows_are == "edges" and not source.is_single_file


def test_the_people_graph_reads_back_with_its_weights() -> None:
    out = io.BytesIO()
    counts = write_graphml(
        network.NETWORK_PEOPLE, people_nodes(), network.NETWORK_PEOPLE_EDGES, people_edges(), out
    )
    assert counts == (3, 3)
    graph = nx.read_graphml(io.BytesIO(out.getvalue()))
    names = scope().namer
    ana, ben, cat = names.pseudonym(ANA), names.pseudonym(BEN), names.pseudonym(CAT)
    assert graph.is_directed() and set(graph.nodes) == {ana, ben, cat}
    assert {(s, t): d["weight"] for s, t, d in graph.edges(data=True)} == {
        (ana, ben): 2.0,
        (ben, ana): 1.0,
        (ana, cat): 1.0,
    }
    assert graph.edges[ana, ben] == {
        "weight": 2.0,
        "replies": 2,
        "first_reply_utc": "2026-12-07T09:30:00Z",
        "first_reply_local": "2026-12-07T10:30:00+01:00",
        "last_reply_utc": "2026-12-09T14:05:00Z",
        "last_reply_local": "2026-12-09T15:05:00+01:00",
    }
    assert graph.nodes[ana] == {
        "label": ana,
        "organisation": "WaterAid",
        "stakeholder_group": "civil society",
        "level": "national",
        "replies_sent": 3,
        "replies_received": 1,
    }
    assert graph.nodes[cat] == {"label": cat, "replies_sent": 0, "replies_received": 1}
    # Weighted degree, as Gephi computes it, from the file alone.
    assert graph.out_degree(ana, weight="weight") == 3.0


def test_the_organisation_graph_reads_back_with_its_self_loop() -> None:
    out = io.BytesIO()
    nodes = network.organisation_node_rows(ORGANISATION_NODES, scope())
    edges = network.organisation_edge_rows(ORGANISATION_EDGES, scope())
    counts = write_graphml(
        network.NETWORK_ORGANISATIONS, nodes, network.NETWORK_ORGANISATION_EDGES, edges, out
    )
    assert counts == (2, 2)
    graph = nx.read_graphml(io.BytesIO(out.getvalue()))
    assert set(graph.nodes) == {"Ministry of Water", "WaterAid"}
    assert graph.edges["Ministry of Water", "WaterAid"] == {
        "weight": 4.0,
        "replies": 4,
        "people_source": 2,
        "people_target": 1,
    }
    assert graph.edges["WaterAid", "WaterAid"]["weight"] == 6.0
    assert graph.nodes["WaterAid"] == {
        "label": "WaterAid",
        "stakeholder_group": "civil society",
        "level": "national",
        "people": 5,
    }
