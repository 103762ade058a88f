"""Tier 2: the CRSLab dataset builders on the real files in ../shared/crs_data (ReDial, INSPIRED, OpenDialKG,
DuRecDial 1.0; both the original releases and CRSLab's processed ones). Expected counts are derived from the raw
files in the tests themselves and also stated as literals (from SOURCES.md and a first count)."""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from pathlib import Path

import datasets
import pytest
from crslab_reference import crslab_redial_kg

import crs_hf
from crs_hf.data import export_dataset, load_graph

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("real-crslab-cache"))


def folder(real_data: Path, *parts: str) -> Path:
    path = real_data.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"{path} is missing")
    return path


def load(name: str, config: str, data_dir: Path, cache: str) -> datasets.DatasetDict:
    return crs_hf.load_dataset(name, config, data_dir=data_dir, cache_dir=cache)


def merged_length(roles: list[str]) -> int:
    """Utterances left after merging consecutive same-role ones: the number of role changes + 1."""
    return sum(1 for i, role in enumerate(roles) if i == 0 or role != roles[i - 1])


def crslab_dialogs(path: Path) -> list[list[dict]]:
    return [conversation.get("dialog") or conversation["messages"] for conversation in json.loads(path.read_text())]


def assert_ids_round_trip(name: str, data_dir: Path, cache: str, turns: datasets.Dataset) -> None:
    """Every entity, item and word `turns` names has its CRSLab id; items line up with their entity ids."""
    entity2id = {r["name"]: r["id"] for r in load(name, "entity2id", data_dir, cache)["train"]}
    word2id = {r["name"] for r in load(name, "word2id", data_dir, cache)["train"]}
    named = {e for es in turns["context_entities"] for e in es} | {i for its in turns["items"] for i in its}
    assert named <= set(entity2id)
    assert {w for ws in turns["context_words"] for w in ws} <= word2id
    items = load(name, "items", data_dir, cache)["train"]
    assert all(entity2id[item] == entity_id for item, entity_id in zip(items["item_id"], items["entity_id"]))
    item_file = "movie_ids.json" if (data_dir / "movie_ids.json").is_file() else "item_ids.json"
    assert items["entity_id"] == json.loads((data_dir / item_file).read_text())


# ---- ReDial ------------------------------------------------------------------------------------------------------


def test_redial_crslab_counts_and_ids(real_data, cache, caplog):
    data = folder(real_data, "redial", "crslab_nltk")
    dialogs = crslab_dialogs(data / "valid_data.json")
    assert (len(dialogs), sum(map(len, dialogs))) == (901, 16_387)
    expected_turns = sum(merged_length([u["role"] for u in d]) - 1 for d in dialogs)
    with caplog.at_level(logging.WARNING):
        turns = load("redial", "turns", data, cache)["validation"]
    assert len(turns) == expected_turns == 10_256
    if caplog.records:  # built now, not read from the module's cache
        assert "1,614 of 2,964 entity mentions (not in entity2id.json" in caplog.text
    assert len(load("redial", "dialogs", data, cache)["validation"]) == 901
    sizes = {c: len(load("redial", c, data, cache)["train"]) for c in ("entity2id", "word2id", "token2id", "items")}
    assert sizes == {"entity2id": 64_362, "word2id": 29_308, "token2id": 23_929, "items": 6_924}
    assert_ids_round_trip("redial", data, cache, turns)


def test_redial_kg_graph_equals_crslab_processing(real_data, cache):
    data = folder(real_data, "redial", "crslab_nltk")
    adjacency = json.loads((data / "dbpedia_subkg.json").read_text())
    kg = load("redial", "entity_kg", data, cache)["train"]
    assert (len(adjacency), len(kg)) == (23_160, 165_696)
    graph = load_graph("redial", data_dir=data, cache_dir=cache)
    n_entity = max(json.loads((data / "entity2id.json").read_text()).values()) + 1
    expected, relations = crslab_redial_kg(adjacency, n_entity)
    got = set(zip(graph.edge_index[0].tolist(), graph.edge_index[1].tolist(), graph.edge_type.tolist()))
    assert got == expected and graph.relations == [str(r) for r in relations]
    # CRSLab on this sub-KG: 23,160 self-loops + 2 x 158,742 kept triples (6,944 self-edges and 10 relation-185
    # edges dropped) = 340,644 edges before filtering; 35 relations have more than 1000 of them; deduplicated,
    # 316,884 edges remain; n_entity = largest id + 1.
    assert (graph.edge_index.shape[1], graph.num_relations, graph.num_nodes) == (316_884, 35, 64_363)
    assert Counter(graph.edge_type.tolist())[0] == 23_160 and graph.relations[0] == "185"


def test_redial_original_release_matches_crslab(real_data, cache):
    raw = folder(real_data, "redial")
    records = [json.loads(line) for line in open(raw / "valid_data.jsonl", encoding="utf-8")]
    roles = [["S" if m["senderWorkerId"] == r["initiatorWorkerId"] else "R" for m in r["messages"] if m["text"].strip()]
             for r in records]
    turns = load("redial", "turns", raw, cache)["validation"]
    assert len(turns) == sum(merged_length(r) - 1 for r in roles) == 10_256
    assert len(load("redial", "dialogs", raw, cache)["validation"]) == 901
    with open(raw / "movies_with_mentions.csv", encoding="utf-8") as handle:
        assert len(load("redial", "items", raw, cache)["train"]) == sum(1 for _ in csv.DictReader(handle)) == 6_924
    crslab = load("redial", "turns", folder(real_data, "redial", "crslab_nltk"), cache)["validation"]
    assert roles_by_dialog(turns) == roles_by_dialog(crslab)  # same dialogs, same merged role sequences


def roles_by_dialog(turns: datasets.Dataset) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    for dialog_id, role in zip(turns["dialog_id"], turns["role"]):
        roles.setdefault(dialog_id, []).append(role)
    return roles


# ---- INSPIRED ----------------------------------------------------------------------------------------------------


def test_inspired_original_dev_tsv(real_data, cache):
    raw = folder(real_data, "inspired")
    with open(raw / "dev.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    by_dialog: dict[str, list[str]] = {}
    for row in rows:
        by_dialog.setdefault(row["dialog_id"], []).append(row["speaker"])
    movies = {m.strip() for row in rows for m in row["movies"].split(";") if m.strip()}
    turns = load("inspired", "turns", raw, cache)["validation"]
    assert (len(rows), len(by_dialog)) == (3_538, 99)
    assert len(turns) == sum(merged_length(r) - 1 for r in by_dialog.values()) == 1_954
    assert len(load("inspired", "dialogs", raw, cache)["validation"]) == 99
    assert len(load("inspired", "items", raw, cache)["train"]) == len(movies) == 336
    assert not any('QUOTATION_MARK' in text for text in turns["response"])


def test_inspired_crslab_form(real_data, cache):
    data = folder(real_data, "inspired", "crslab_nltk")
    dialogs = crslab_dialogs(data / "valid_data.json")
    turns = load("inspired", "turns", data, cache)["validation"]
    assert len(turns) == sum(merged_length([u["role"] for u in d]) - 1 for d in dialogs) == 1_954
    assert len(load("inspired", "items", data, cache)["train"]) == 1_815
    assert len(load("inspired", "entity2id", data, cache)["train"]) == 56_559
    assert_ids_round_trip("inspired", data, cache, turns)
    raw = load("inspired", "dialogs", folder(real_data, "inspired"), cache)["validation"]
    ours = load("inspired", "dialogs", data, cache)["validation"]
    roles = lambda ds: [[u["role"] for u in d] for d in ds["utterances"]]  # noqa: E731
    assert roles(raw) == roles(ours)  # the two releases hold the same dialogs in the same order


# ---- OpenDialKG -------------------------------------------------------------------------------------------------


def test_opendialkg_crslab_form(real_data, cache):
    data = folder(real_data, "opendialkg", "crslab_nltk")
    dialogs = crslab_dialogs(data / "valid_data.json")
    assert (len(dialogs), sum(map(len, dialogs))) == (1_309, 7_837)
    turns = load("opendialkg", "turns", data, cache)["validation"]
    assert len(turns) == sum(merged_length([u["role"] for u in d]) - 1 for d in dialogs) == 6_527
    sizes = {c: len(load("opendialkg", c, data, cache)["train"]) for c in ("entity2id", "items")}
    assert sizes == {"entity2id": 100_813, "items": 5_599}
    assert_ids_round_trip("opendialkg", data, cache, turns)


# ---- DuRecDial 1.0 -----------------------------------------------------------------------------------------------


def test_durecdial_original_dev(real_data, cache):
    raw = folder(real_data, "durecdial1")
    records = [json.loads(line) for line in open(raw / "dev.txt", encoding="utf-8") if line.strip()]
    turns = load("durecdial", "turns", raw, cache)["validation"]
    assert (len(records), sum(len(r["conversation"]) for r in records)) == (946, 14_486)
    assert len(turns) == sum(len(r["conversation"]) - 1 for r in records) == 13_540
    firsts = Counter(r["goal"].split("-->")[0].count("Bot 主动") for r in records)
    first_roles = Counter(r for d, t, r in zip(turns["dialog_id"], turns["turn_id"], turns["role"]) if t == 1)
    assert first_roles == {"Seeker": firsts[1], "Recommender": firsts[0]} == {"Seeker": 331, "Recommender": 615}
    assert not any(text.startswith("[") for text in turns["response"])


def test_durecdial_crslab_form(real_data, cache):
    data = folder(real_data, "durecdial1", "crslab_jieba")
    dialogs = crslab_dialogs(data / "valid_data.json")
    assert (len(dialogs), sum(map(len, dialogs))) == (625, 9_967)
    turns = load("durecdial", "turns", data, cache)["validation"]
    assert len(turns) == 9_967 - 625 == 9_342
    assert len(load("durecdial", "items", data, cache)["train"]) == 398
    assert_ids_round_trip("durecdial", data, cache, turns)
    # the same roles as the original release, for the CRSLab dialogs whose first utterance is found there once
    raw = load("durecdial", "dialogs", folder(real_data, "durecdial1"), cache)["validation"]
    key = lambda d: d["utterances"][0]["text"].replace(" ", "")  # noqa: E731
    counts = Counter(key(d) for d in raw)
    raw_roles = {key(d): [u["role"] for u in d["utterances"]][:2] for d in raw if counts[key(d)] == 1}
    ours = load("durecdial", "dialogs", data, cache)["validation"]
    pairs = [(raw_roles[key(d)], [u["role"] for u in d["utterances"]][:2]) for d in ours if key(d) in raw_roles]
    assert len(pairs) > 500 and all(a == b for a, b in pairs)


# ---- export -> plain datasets.load_dataset ------------------------------------------------------------------------


@pytest.mark.parametrize("name, parts, configs", [
    ("redial", ("redial", "crslab_nltk"), ["turns", "entity_kg", "items", "word2id"]),
    ("redial", ("redial",), ["turns", "dialogs"]),
    ("inspired", ("inspired",), ["turns", "dialogs", "items"]),
    ("opendialkg", ("opendialkg", "crslab_nltk"), ["turns", "dialogs"]),
    ("durecdial", ("durecdial1",), ["turns"]),
])
def test_export_then_plain_load_equals_builder(real_data, cache, tmp_path, name, parts, configs):
    data = folder(real_data, *parts)
    out = tmp_path / "hub"
    export_dataset(name, out, data_dir=data, configs=configs, cache_dir=cache)
    for config in configs:
        built = load(name, config, data, cache)
        loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "plain"))
        assert sorted(loaded) == sorted(built)
        for split in built:
            assert loaded[split].features == built[split].features
            assert loaded[split].to_list() == built[split].to_list(), (config, split)
