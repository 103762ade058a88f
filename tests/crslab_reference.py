"""CRSLab's KG processing (`_entity_kg_process` of its dataset loaders), transcribed loop for loop without its files:
the reference `crs_hf.data.kg_to_graph` is checked against."""

from __future__ import annotations

from collections import defaultdict


def crslab_text_kg(triples, ids, both_directions=True, min_count=0):
    """`_entity_kg_process` of CRSLab's TG-ReDial / GoRecDial / INSPIRED / DuRecDial (and, with both_directions=False
    and min_count=20000, OpenDialKG) loaders, minus their files."""
    edge_list = []
    for head, relation, tail in triples:
        e0, e1 = ids[head], ids[tail]
        edge_list.append((e0, e1, relation))
        if both_directions:
            edge_list.append((e1, e0, relation))
        edge_list.append((e0, e0, "SELF_LOOP"))
        if e1 != e0:
            edge_list.append((e1, e1, "SELF_LOOP"))
    return _count_filter_number(edge_list, min_count)


def crslab_redial_kg(adjacency, n_entity, min_count=1000, self_loop=185):
    edge_list = []
    for entity in range(n_entity):
        if str(entity) not in adjacency:
            continue
        edge_list.append((entity, entity, self_loop))
        for relation, tail in adjacency[str(entity)]:
            if entity != tail and relation != self_loop:
                edge_list.append((entity, tail, relation))
                edge_list.append((tail, entity, relation))
    return _count_filter_number(edge_list, min_count)


def _count_filter_number(edge_list, min_count):
    counts, relation2id, edge_set = defaultdict(int), {}, set()
    for _, _, relation in edge_list:
        counts[relation] += 1
    for head, tail, relation in edge_list:
        if counts[relation] > min_count:
            relation2id.setdefault(relation, len(relation2id))
            edge_set.add((head, tail, relation2id[relation]))
    return edge_set, list(relation2id)
