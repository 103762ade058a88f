"""KG tables -> graph tensors: CRSLab's processing step by step on hand-built KGs, and against a direct transcription
of CRSLab's loops on random KGs."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from crslab_fixtures import write_opendialkg_raw, write_redial_crslab
from crslab_reference import crslab_redial_kg, crslab_text_kg
from hypothesis import given, settings
from hypothesis import strategies as st

from crs_hf.data import ENTITY_KG, WORD_KG, KGProcessing, get_builder_class, kg_to_graph, load_graph

REDIAL = get_builder_class("redial").GRAPH_PROCESSING["entity_kg"]
OPENDIALKG = get_builder_class("opendialkg").GRAPH_PROCESSING["entity_kg"]


def kg(*triples: tuple[str, str, str]) -> dict[str, list[str]]:
    return {"head": [t[0] for t in triples], "relation": [t[1] for t in triples], "tail": [t[2] for t in triples]}


def edges(graph) -> list[tuple[int, int, int]]:
    return list(zip(graph.edge_index[0].tolist(), graph.edge_index[1].tolist(), graph.edge_type.tolist()))


def test_text_kg_both_directions_and_self_loops_on_both_ends():
    graph = kg_to_graph(kg(("a", "r", "b"), ("b", "s", "c"), ("a", "r", "b")), {"a": 1, "b": 2, "c": 3})
    # relations numbered by first appearance in CRSLab's edge list: r (forward edge), SELF_LOOP, s
    assert graph.relations == ["r", "SELF_LOOP", "s"] and graph.num_relations == 3
    assert edges(graph) == [(1, 1, 1), (1, 2, 0), (2, 1, 0), (2, 2, 1), (2, 3, 2), (3, 2, 2), (3, 3, 1)]
    assert graph.num_nodes == 4  # largest id + 1 (id 0 is CRSLab's padding entity)
    assert graph.edge_index.dtype == graph.edge_type.dtype == __import__("torch").int64


def test_switches():
    triples, ids = kg(("a", "r", "b")), {"a": 0, "b": 1}
    assert edges(kg_to_graph(triples, ids, self_loops=False)) == [(0, 1, 0), (1, 0, 0)]
    assert edges(kg_to_graph(triples, ids, both_directions=False)) == [(0, 0, 1), (0, 1, 0), (1, 1, 1)]
    assert edges(kg_to_graph(triples, ids, OPENDIALKG, min_relation_count=0)) == [(0, 0, 1), (0, 1, 0), (1, 1, 1)]
    assert kg_to_graph(triples, ids, num_nodes=10).num_nodes == 10


def test_redial_adjacency_processing(tmp_path):
    """The fixture's KGSF adjacency {1: [(16, 2), (185, 1), (7, 3)], 4: [(16, 2), (7, 3)]}: a self-loop per head
    (relation 185, numbered 0 as it comes first), both directions, the input self-edge (1, 185, 1) dropped."""
    graph = load_graph("redial", data_dir=write_redial_crslab(tmp_path / "data"), cache_dir=str(tmp_path / "cache"),
                       min_relation_count=0)
    assert graph.relations == ["185", "16", "7"]
    assert edges(graph) == [(1, 1, 0), (1, 2, 1), (1, 3, 2), (2, 1, 1), (2, 4, 1), (3, 1, 2), (3, 4, 2), (4, 2, 1),
                            (4, 3, 2), (4, 4, 0)]
    assert graph.num_nodes == 6


def test_relation_filter_can_empty_the_graph(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        graph = load_graph("redial", data_dir=write_redial_crslab(tmp_path / "data"), cache_dir=str(tmp_path / "c"))
    assert graph.edge_index.shape == (2, 0) and graph.edge_type.shape == (0,) and graph.num_relations == 0
    assert "no edges left: every relation has at most 1000 edges" in caplog.text


def test_word_kg_is_untyped(tmp_path):
    graph = load_graph("redial", "word_kg", data_dir=write_redial_crslab(tmp_path / "data"),
                       cache_dir=str(tmp_path / "cache"))
    # concept2id: comedy 1, movie 2, funny 3; triples comedy-funny, comedy-movie, both directions, one edge type
    assert edges(graph) == [(1, 2, 0), (1, 3, 0), (2, 1, 0), (3, 1, 0)]
    assert (graph.num_relations, graph.relations, graph.num_nodes) == (1, ["*"], 6)


def test_original_opendialkg_kg_numbers_nodes_in_order_of_appearance(tmp_path):
    graph = load_graph("opendialkg", data_dir=write_opendialkg_raw(tmp_path / "raw"), cache_dir=str(tmp_path / "c"),
                       min_relation_count=0)
    assert dict(graph.node_ids) == {"Paper Moons": 0, "Ada Wu": 1, "Night Train": 2}
    assert graph.relations == ["starred_actors", "SELF_LOOP", "~starred_actors"]
    assert edges(graph) == [(0, 0, 1), (0, 1, 0), (1, 1, 1), (1, 2, 2), (2, 2, 1)]  # forward edges only
    assert graph.num_nodes == 3


def test_unknown_names_are_dropped_with_one_warning(caplog):
    with caplog.at_level(logging.WARNING):
        graph = kg_to_graph(kg(("a", "r", "b"), ("a", "r", "x"), ("y", "r", "x")), {"a": 0, "b": 1})
    assert edges(graph) == [(0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 1, 1)]
    assert [r.getMessage() for r in caplog.records] == [
        "kg_to_graph: dropped 2 of 3 triples naming entities the id table lacks (2 names, e.g. ['x', 'y'])"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="self_loops_for must be 'endpoints' or 'heads', but got 'tails'"):
        KGProcessing(self_loops_for="tails")
    with pytest.raises(ValueError, match="min_relation_count must be >= 0, but got -1"):
        replace(ENTITY_KG, min_relation_count=-1)
    with pytest.raises(ValueError, match="kg must have the columns head, relation and tail"):
        kg_to_graph({"subject": []})
    with pytest.raises(ValueError, match="kg must be 'entity_kg' or 'word_kg'"):
        load_graph("redial", "items")


# ---- against CRSLab's loops, transcribed ------------------------------------------------------------------------


names = st.sampled_from("abcdef")
triples_strategy = st.lists(st.tuples(names, st.sampled_from(["r", "s", "t"]), names), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(triples=triples_strategy, both=st.booleans(), min_count=st.integers(0, 8))
def test_matches_crslab_text_kg_processing(triples, both, min_count):
    ids = {name: index + 1 for index, name in enumerate("abcdef")}
    expected, relations = crslab_text_kg(triples, ids, both, min_count)
    graph = kg_to_graph(kg(*triples), ids, both_directions=both, min_relation_count=min_count)
    assert set(edges(graph)) == expected and len(edges(graph)) == len(expected)
    assert graph.relations == relations


adjacency_strategy = st.dictionaries(
    st.integers(1, 8).map(str),
    st.lists(st.tuples(st.sampled_from([3, 7, 185]), st.integers(1, 8)).map(list), min_size=1, max_size=5),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(adjacency=adjacency_strategy, min_count=st.integers(0, 6))
def test_matches_crslab_redial_processing(adjacency, min_count):
    """The `entity_kg` config lists the adjacency head by head in ascending id order; processing it must give
    CRSLab's edges and relation numbering."""
    expected, relations = crslab_redial_kg(adjacency, 9, min_count)
    triples = [(str(int(h)), str(r), str(t)) for h in sorted(adjacency, key=int) for r, t in adjacency[h]]
    graph = kg_to_graph(kg(*triples), {str(i): i for i in range(1, 9)}, REDIAL, min_relation_count=min_count)
    assert set(edges(graph)) == expected and len(edges(graph)) == len(expected)
    assert graph.relations == [str(r) for r in relations]
    assert graph.num_nodes == 9


def test_word_kg_matches_crslab():
    """`_word_kg_process`: both directions, a set of (a, b) pairs, no relation."""
    triples = [("a", "x", "b"), ("b", "y", "a"), ("c", "x", "c")]
    ids = {"a": 1, "b": 2, "c": 3}
    expected = {(ids[h], ids[t]) for h, _, t in triples} | {(ids[t], ids[h]) for h, _, t in triples}
    graph = kg_to_graph(kg(*triples), ids, WORD_KG)
    assert {(h, t) for h, t, _ in edges(graph)} == expected and len(edges(graph)) == len(expected)
    assert set(graph.edge_type.tolist()) == {0}


def test_durecdial2_knowledge_graph_with_subject_object_columns(tmp_path):
    import crs_hf
    from crs_hf.data import kg_to_graph
    from crs_hf.data.graph import KGProcessing

    kg = crs_hf.load_dataset("durecdial2", "entity_kg-en", data_dir=crs_hf.data.sample_data_dir("durecdial2"),
                             cache_dir=str(tmp_path))["train"]
    names = sorted({*kg["subject"], *kg["object"]})
    graph = kg_to_graph(kg, {name: i for i, name in enumerate(names)}, KGProcessing(self_loops=False))
    assert graph.edge_index.shape[1] == 2 * len(kg)  # both directions, no duplicates in the KG config
    assert graph.num_nodes == len(names)
