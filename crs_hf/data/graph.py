"""Knowledge-graph tables (`entity_kg`, `word_kg` configs) -> the tensors a graph encoder takes.

`kg_to_graph` reproduces CRSLab's KG processing (`_entity_kg_process` / `_word_kg_process` of each dataset) with
every step a switch, so that node ids, relation ids and edges equal what a CRSLab-trained model saw, and so that a
user can turn a quirk off:

============================  =========================================================================================
`KGProcessing` field          CRSLab
============================  =========================================================================================
`self_loops`                  a self-loop per entity: every end of a triple (text KGs); every head of the adjacency
                              (ReDial: `self_loops_for="heads"`, relation id 185); never for word KGs
`both_directions`             each triple also reversed (all but OpenDialKG's entity KG)
`drop_input_self_edges`       ReDial skips triples whose head is the tail or whose relation is the self-loop one
`min_relation_count`          keep relations seen more than this many times (counted over the edge list before
                              deduplication): ReDial 1000, OpenDialKG 20000, others 0
`typed`                       word KGs ignore relations (one edge type)
============================  =========================================================================================

Relations that survive are numbered in order of first appearance in that edge list, as CRSLab numbers them;
edges are deduplicated (CRSLab keeps a set) and sorted by (head, tail, type). Node ids come from the release's
`entity2id` / `word2id` table (`num_nodes` = largest id + 1, CRSLab's `n_entity`); triples naming an entity that
the table lacks are dropped and counted in one warning (CRSLab raises `KeyError` on most datasets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crs_hf.errors import CRSHFError

if TYPE_CHECKING:
    import torch

__all__ = ["ENTITY_KG", "KGGraph", "KGProcessing", "WORD_KG", "kg_to_graph", "load_graph"]

logger = datasets.logging.get_logger(__name__)

# The name `relations` reports for the single edge type of an untyped graph.
UNTYPED_RELATION = "*"


@dataclass(frozen=True)
class KGProcessing:
    """How `kg_to_graph` turns triples into edges (defaults: CRSLab's processing of a text entity KG).

    Args:
        self_loops (`bool`, defaults to `True`): add a self-loop edge per entity.
        self_loops_for (`"endpoints"` or `"heads"`, defaults to `"endpoints"`): which entities get one: both ends of
            every triple, or (ReDial's adjacency) every head, added just before its first triple.
        self_loop_relation (`str`, defaults to `"SELF_LOOP"`): the relation name of self-loops (ReDial: `"185"`).
        both_directions (`bool`, defaults to `True`): add the reverse of every triple, with the same relation.
        drop_input_self_edges (`bool`, defaults to `False`): skip triples whose head equals the tail or whose
            relation is `self_loop_relation` (ReDial).
        min_relation_count (`int`, defaults to `0`): keep only relations with more edges than this, counted before
            deduplication (ReDial: 1000, OpenDialKG: 20000).
        typed (`bool`, defaults to `True`): keep relation types; `False` gives one edge type (word KGs).
    """

    self_loops: bool = True
    self_loops_for: Literal["endpoints", "heads"] = "endpoints"
    self_loop_relation: str = "SELF_LOOP"
    both_directions: bool = True
    drop_input_self_edges: bool = False
    min_relation_count: int = 0
    typed: bool = True

    def __post_init__(self):
        if self.self_loops_for not in ("endpoints", "heads"):
            raise ValueError(f"self_loops_for must be 'endpoints' or 'heads', but got {self.self_loops_for!r}")
        if self.min_relation_count < 0:
            raise ValueError(f"min_relation_count must be >= 0, but got {self.min_relation_count}")


# CRSLab's processing of the text entity KGs (TG-ReDial, GoRecDial, INSPIRED, DuRecDial) and of every word KG.
ENTITY_KG = KGProcessing()
WORD_KG = KGProcessing(self_loops=False, typed=False)


@dataclass
class KGGraph:
    """A KG as tensors for a graph encoder (e.g. torch-geometric's `RGCNConv(x, edge_index, edge_type)`).

    Attributes:
        edge_index: `(2, num_edges)` int64; row 0 the source (head) node ids, row 1 the target (tail) ids.
        edge_type: `(num_edges,)` int64 relation ids in `[0, num_relations)`.
        num_relations: number of edge types.
        num_nodes: number of node ids (largest id of the id table + 1, so ids index an embedding table directly).
        relations: the relation name of each edge type id.
        node_ids: the name -> id table used (given, or numbered in order of first appearance when none was).
    """

    edge_index: torch.Tensor
    edge_type: torch.Tensor
    num_relations: int
    num_nodes: int
    relations: list[str]
    node_ids: Mapping[str, int] = field(repr=False)


def _columns(kg: datasets.Dataset | Mapping[str, Sequence[str]]) -> list[pa.Array]:
    """The head, relation and tail columns as Arrow string arrays (no per-row Python work for a `Dataset`).

    DuRecDial 2.0's `entity_kg-*` configs name them subject, relation, object (the dataset's own terms)."""
    present = kg.column_names if isinstance(kg, datasets.Dataset) else list(kg)
    names = ["subject", "relation", "object"] if "head" not in present and "subject" in present else ["head", "relation", "tail"]
    try:
        if isinstance(kg, datasets.Dataset):
            table = kg.select_columns(names).with_format("arrow")[:]
            return [table.column(name).combine_chunks() for name in names]
        return [pa.array(list(kg[name]), pa.string()) for name in names]
    except (KeyError, ValueError) as error:
        raise ValueError(f"kg must have the columns head, relation and tail (an entity_kg / word_kg config), "
                         f"but got {error}") from None


def _node_ids(heads: pa.Array, tails: pa.Array, node_ids: Mapping[str, int] | None) -> Mapping[str, int]:
    """`node_ids`, or every name numbered from 0 in order of first appearance (head, tail, next head, ...)."""
    if node_ids is not None:
        return node_ids
    interleaved = np.stack([heads.to_numpy(zero_copy_only=False), tails.to_numpy(zero_copy_only=False)], 1).ravel()
    return {name: index for index, name in enumerate(pc.unique(pa.array(interleaved, pa.string())).to_pylist())}


def _lookup(names: pa.Array, table: Mapping[str, int]) -> np.ndarray:
    """`table[name]` for each name, -1 where the table lacks it (vectorised with Arrow's `index_in`)."""
    keys = pa.array(list(table), pa.string())
    values = np.append(np.fromiter(table.values(), dtype=np.int64, count=len(table)), -1)
    return values[pc.index_in(names, value_set=keys).fill_null(len(table)).to_numpy()]


def _relation_codes(relations: pa.Array, p: KGProcessing) -> tuple[list[str], np.ndarray]:
    """The relation names (the self-loop relation first, so its code is 0) and each triple's relation code."""
    if not p.typed:
        return [UNTYPED_RELATION], np.zeros(len(relations), dtype=np.int64)
    names = [p.self_loop_relation, *sorted(set(pc.unique(relations).to_pylist()) - {p.self_loop_relation})]
    return names, _lookup(relations, {name: code for code, name in enumerate(names)})


def _frequent_relations(edges: np.ndarray, n_codes: int, min_count: int) -> tuple[np.ndarray, list[int]]:
    """Keeps the edges of relations with more than `min_count` of them, relations renumbered in order of first
    appearance (CRSLab's `relation2id`); returns the edges and the kept relation codes in their new order."""
    counts = np.bincount(edges[:, 2], minlength=n_codes)
    first_seen = np.full(n_codes, len(edges))
    codes, first = np.unique(edges[:, 2], return_index=True)
    first_seen[codes] = first
    kept = [int(c) for c in np.argsort(first_seen, kind="stable") if counts[c] > min_count]
    renumber = np.full(n_codes, -1)
    renumber[kept] = np.arange(len(kept))
    edges = edges[renumber[edges[:, 2]] >= 0]
    edges[:, 2] = renumber[edges[:, 2]]
    return edges, kept


def _emit(h: np.ndarray, t: np.ndarray, r: np.ndarray, loop: int, p: KGProcessing) -> np.ndarray:
    """CRSLab's edge list (with repeats) as rows (head, tail, relation code), in CRSLab's order."""
    n = len(h)
    kept = np.ones(n, dtype=bool)
    if p.drop_input_self_edges:
        kept = (h != t) & (r != loop)
    loops = np.full(n, loop)
    forward, backward = np.stack([h, t, r], 1), np.stack([t, h, r], 1)
    if p.self_loops_for == "heads":
        first = np.zeros(n, dtype=bool)
        first[np.unique(h, return_index=True)[1]] = True
        blocks = [(np.stack([h, h, loops], 1), first & p.self_loops), (forward, kept),
                  (backward, kept & p.both_directions)]
    else:
        blocks = [(forward, kept), (backward, kept & p.both_directions),
                  (np.stack([h, h, loops], 1), kept & p.self_loops),
                  (np.stack([t, t, loops], 1), kept & p.self_loops & (t != h))]
    rows = np.stack([rows for rows, _ in blocks], 1).reshape(-1, 3)  # triple by triple, blocks in order
    mask = np.stack([mask for _, mask in blocks], 1).reshape(-1)
    return rows[mask]


def kg_to_graph(
    kg: datasets.Dataset | Mapping[str, Sequence[str]],
    node_ids: Mapping[str, int] | None = None,
    processing: KGProcessing = ENTITY_KG,
    num_nodes: int | None = None,
    **overrides,
) -> KGGraph:
    """Turns (head, relation, tail) triples into `edge_index` / `edge_type` with CRSLab's processing.

    Args:
        kg: an `entity_kg` / `word_kg` split, or a mapping with `head`, `relation` and `tail` columns.
        node_ids: name -> node id (the `entity2id` / `word2id` config as a dict). If `None`, nodes are numbered
            from 0 in order of first appearance.
        processing: the steps to apply (see `KGProcessing`); a dataset's CRSLab defaults are
            `get_builder_class(name).GRAPH_PROCESSING[config]`.
        num_nodes: the node count; default: largest id + 1.
        **overrides: `KGProcessing` fields to change, e.g. `min_relation_count=0`.

    Returns:
        A `KGGraph`. Triples with a name missing from `node_ids` are dropped and counted in a warning; so are
        all edges when every relation falls under `min_relation_count` (the graph is then empty).

    Example:
        >>> g = kg_to_graph({"head": ["a"], "relation": ["r"], "tail": ["b"]}, {"a": 1, "b": 2})
        >>> g.edge_index.tolist(), g.edge_type.tolist(), g.relations, g.num_nodes
        ([[1, 1, 2, 2], [1, 2, 1, 2]], [1, 0, 0, 1], ['r', 'SELF_LOOP'], 3)
    """
    import torch

    processing = replace(processing, **overrides)
    heads, relations, tails = _columns(kg)
    ids = _node_ids(heads, tails, node_ids)
    h, t = _lookup(heads, ids), _lookup(tails, ids)
    known = (h >= 0) & (t >= 0)
    if not known.all():
        missing = {*pc.filter(heads, pa.array(h < 0)).to_pylist(), *pc.filter(tails, pa.array(t < 0)).to_pylist()}
        logger.warning("kg_to_graph: dropped %d of %d triples naming entities the id table lacks (%d names, e.g. %s)",
                       int((~known).sum()), len(heads), len(missing), sorted(missing)[:3])
    names, r = _relation_codes(relations, processing)
    edges = _emit(h[known], t[known], r[known], 0, processing)
    edges, kept = _frequent_relations(edges, len(names), processing.min_relation_count)
    if len(heads) and not len(edges):
        logger.warning("kg_to_graph: no edges left: every relation has at most %d edges (min_relation_count); "
                       "pass a lower min_relation_count", processing.min_relation_count)
    edges = np.unique(edges, axis=0) if len(edges) else edges.reshape(0, 3)
    largest = max(ids.values(), default=-1)
    return KGGraph(
        edge_index=torch.from_numpy(np.ascontiguousarray(edges[:, :2].T)),
        edge_type=torch.from_numpy(np.ascontiguousarray(edges[:, 2])),
        num_relations=len(kept),
        num_nodes=num_nodes if num_nodes is not None else (largest + 1 if node_ids is not None else len(ids)),
        relations=[names[c] for c in kept],
        node_ids=ids,
    )


def load_graph(
    name: str,
    kg: Literal["entity_kg", "word_kg"] = "entity_kg",
    data_dir: str | None = None,
    cache_dir: str | None = None,
    **overrides,
) -> KGGraph:
    """Builds a dataset's `entity_kg` or `word_kg` config and its id table, and applies its CRSLab processing.

    Args:
        name: a crs_hf dataset with KG configs (`redial`, `tgredial`, `gorecdial`, `opendialkg`, `inspired`,
            `durecdial`).
        kg: `"entity_kg"` (node ids from `entity2id`) or `"word_kg"` (node ids from `word2id`).
        data_dir, cache_dir: as for `crs_hf.load_dataset`.
        **overrides: `KGProcessing` fields to change from the dataset's CRSLab defaults, e.g. `min_relation_count=0`.

    Example:
        >>> from crs_hf.data import load_graph, sample_data_dir
        >>> graph = load_graph("redial", data_dir=sample_data_dir("redial"))
        >>> graph.edge_index.shape[0], graph.num_relations  # the sample keeps one relation over 1000 edges
        (2, 1)
    """
    from crs_hf.data.source import CRSDataSource

    return CRSDataSource(name, data_dir=data_dir, cache_dir=cache_dir).graph(kg, **overrides)
