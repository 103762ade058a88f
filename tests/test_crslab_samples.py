"""The embedded synthetic samples of CRSLab's six datasets (CRSLab's format): reproducible, realistic, buildable, and
consistent with the per-dataset facts of the registry (`dataset_facts`)."""

import json
import re
from collections import Counter
from pathlib import Path

import datasets
import pytest

import crs_hf
from crs_hf.data import DATASETS, dataset_facts, export_dataset, get_builder_class, load_graph, sample_data_dir
from crs_hf.data.registry import DatasetEntry
from crs_hf.data.samples.generate_crslab import SAMPLES as NEW_SAMPLES
from crs_hf.data.samples.generate_crslab import generate, generate_sample
from crs_hf.errors import CRSHFError

SPLITS = ("train", "valid", "test")
SAMPLES = ("redial", "tgredial", *NEW_SAMPLES)  # gorecdial, inspired, opendialkg, durecdial
ITEM_LISTS = {"redial": "movie_ids.json", "tgredial": "movie_ids.json", "gorecdial": "movie_ids.json",
              "inspired": "movie_ids.json", "opendialkg": "item_ids.json", "durecdial": "item_ids.json"}


def test_shipped_files_equal_the_generator_output(tmp_path):
    counts = generate(tmp_path)
    per_split = {f"{split}_data.json": n for split, n in zip(SPLITS, (12, 4, 4))}
    assert counts == {name: per_split for name in SAMPLES}
    for name in SAMPLES:
        shipped = Path(sample_data_dir(name))
        generated = sorted(p.name for p in (tmp_path / name).iterdir())
        assert generated == sorted(p.name for p in shipped.iterdir() if p.name != "README.md")
        for file in generated:
            assert (tmp_path / name / file).read_bytes() == (shipped / file).read_bytes(), f"{name}/{file} is stale"


def test_generator_is_deterministic_for_a_seed(tmp_path):
    for name, sample in NEW_SAMPLES.items():
        first, again, other = (tmp_path / run / name for run in ("a", "b", "c"))
        for out, seed in ((first, 0), (again, 0), (other, 1)):
            generate_sample(sample, out, seed)
        for file in sorted(p.name for p in first.iterdir()):
            assert (first / file).read_bytes() == (again / file).read_bytes(), f"{name}/{file}"
        assert (first / "train_data.json").read_bytes() != (other / "train_data.json").read_bytes(), name


def read(name: str, file: str):
    return json.loads((Path(sample_data_dir(name)) / file).read_text(encoding="utf-8"))


def utterances(name: str, split: str) -> list[list[dict]]:
    return [d.get("dialog") or d["messages"] for d in read(name, f"{split}_data.json")]


def test_samples_meet_crslab_evaluation_needs():
    for name in SAMPLES:
        assert len(read(name, ITEM_LISTS[name])) >= 60, name  # CRSLab ranks the top 50 items
    assert len(read("tgredial", "topic2id.json")) >= 50  # and the top 50 topics
    assert {len(sentences) for sentences in read("tgredial", "user2profile.json").values()} == {10}
    for split in SPLITS:
        for dialog in read("tgredial", f"{split}_data.json"):
            roles = [m["role"] for m in dialog["messages"]]
            assert all(a != b for a, b in zip(roles, roles[1:]))
            assert all(m["text"].count("《") == len(m["movie"]) for m in dialog["messages"])  # NTRD's slots
    first_roles = {d["dialog"][0]["role"] for s in SPLITS for d in read("redial", f"{s}_data.json")}
    assert first_roles == {"Seeker", "Recommender"}


def test_new_samples_name_only_what_their_tables_hold():
    """Every token is in token2id (built over all splits, as the real INSPIRED / OpenDialKG / DuRecDial tables
    are), every entity and word annotation has an id, and the release's own utterance keys are there."""
    keys = {"gorecdial": {"movies", "decide"}, "inspired": {"movies", "genre", "people"}, "opendialkg": {"item"},
            "durecdial": {"item"}}
    for name in NEW_SAMPLES:
        tokens, entities, words = read(name, "token2id.json"), read(name, "entity2id.json"), read(name, "word2id.json")
        assert list(tokens)[:4] == ["__pad__", "__start__", "__end__", "__unk__"] and min(entities.values()) == 1
        every = [u for split in SPLITS for dialog in utterances(name, split) for u in dialog]
        assert {t for u in every for t in u["text"]} == set(tokens) - {"__pad__", "__start__", "__end__", "__unk__"}
        assert {e for u in every for e in u["entity"]} <= set(entities), name
        assert {w for u in every for w in u["word"]} <= set(words), name
        assert all(set(u) == {"utt_id", "role", "text", "entity", "word", *keys[name]} for u in every), name
    first_roles = {name: {dialog[0]["role"] for s in SPLITS for dialog in utterances(name, s)} for name in NEW_SAMPLES}
    assert first_roles == {"gorecdial": {"Seeker", "Recommender"}, "inspired": {"Recommender"},
                           "opendialkg": {"Seeker"}, "durecdial": {"Seeker", "Recommender"}}
    gorecdial = [u for s in SPLITS for dialog in utterances("gorecdial", s) for u in dialog]
    assert sum(not u["text"] for u in gorecdial) == 6 and Counter(u["decide"] for u in gorecdial) == {0: 150, 1: 52}


def test_every_config_builds_and_exports(tmp_path):
    cache = str(tmp_path / "cache")
    expected_turns = {"redial": {"train": 92, "validation": 34, "test": 34},
                      "tgredial": {"train": 94, "validation": 30, "test": 30}}
    for name, turns in expected_turns.items():
        built = crs_hf.load_dataset(name, data_dir=sample_data_dir(name), cache_dir=cache)
        assert {split: len(d) for split, d in built.items()} == turns
        configs = [c.name for c in get_builder_class(name).BUILDER_CONFIGS]
        out = tmp_path / name
        export_dataset(name, out, data_dir=sample_data_dir(name), cache_dir=cache)
        for config in configs:
            loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "plain"))
            ours = crs_hf.load_dataset(name, config, data_dir=sample_data_dir(name), cache_dir=cache)
            assert {s: d.to_list() for s, d in loaded.items()} == {s: d.to_list() for s, d in ours.items()}, config


def test_sample_graphs(tmp_path):
    cache = str(tmp_path / "cache")
    redial = load_graph("redial", data_dir=sample_data_dir("redial"), cache_dir=cache)
    # 60 movies x 9 actors, both directions: the one relation over CRSLab's threshold of 1000 edges
    assert (redial.edge_index.shape[1], redial.relations, redial.num_nodes) == (1080, ["69"], 109)
    everything = load_graph("redial", data_dir=sample_data_dir("redial"), cache_dir=cache, min_relation_count=0)
    assert everything.relations == ["185", "69", "105", "138"]
    tg = load_graph("tgredial", data_dir=sample_data_dir("tgredial"), cache_dir=cache)
    assert tg.relations == ["主演", "SELF_LOOP", "导演", "类型"] and tg.num_nodes == 121


# ---- the four samples added with the dataset facts: every config, exact counts --------------------------------

# config -> rows (side configs have one `train` split)
SIDE_ROWS = {
    "gorecdial": {"entity_kg": 454, "word_kg": 18, "items": 60, "entity2id": 108, "word2id": 29, "token2id": 116},
    "inspired": {"entity_kg": 388, "word_kg": 18, "items": 60, "entity2id": 108, "word2id": 29, "token2id": 79},
    "opendialkg": {"entity_kg": 10001, "word_kg": 18, "items": 76, "entity2id": 208, "word2id": 29, "token2id": 88},
    "durecdial": {"entity_kg": 387, "word_kg": 16, "items": 84, "entity2id": 124, "word2id": 28, "token2id": 123},
}
# split -> (Seeker turns, Recommender turns)
TURN_ROLES = {
    "gorecdial": {"train": (51, 50), "validation": (20, 17), "test": (19, 19)},
    "inspired": {"train": (36, 36), "validation": (12, 12), "test": (12, 12)},
    "opendialkg": {"train": (24, 24), "validation": (8, 8), "test": (8, 8)},
    "durecdial": {"train": (56, 65), "validation": (20, 22), "test": (18, 21)},
}
# split -> (recommender turns with a gold item, ... with one mentioned earlier in the dialog, ... with a new one)
REC_TURNS = {
    "gorecdial": {"train": (29, 12, 17), "validation": (11, 4, 7), "test": (12, 4, 8)},
    "inspired": {"train": (24, 12, 12), "validation": (8, 4, 4), "test": (8, 4, 4)},
    "opendialkg": {"train": (24, 24, 12), "validation": (8, 8, 4), "test": (8, 8, 4)},  # a walk names two items
    "durecdial": {"train": (41, 12, 29), "validation": (14, 4, 10), "test": (13, 4, 9)},
}
# entity graph after the dataset's default processing: (edges, relations, nodes); word graph: (edges, nodes)
GRAPHS = {
    "gorecdial": ((1016, ["starring", "SELF_LOOP", "director", "genre"], 109), (36, 30)),
    "inspired": ((884, ["starring", "SELF_LOOP", "director", "genre"], 109), (36, 30)),
    # OpenDialKG keeps relations with more than 20000 edges: 10001 triples give 20002 self-loops, nothing else passes
    "opendialkg": ((208, ["SELF_LOOP"], 209), (36, 30)),
    "durecdial": ((898, ["主演", "SELF_LOOP", "导演", "类型", "演唱"], 125), (32, 29)),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("crslab-samples-cache"))


@pytest.fixture(scope="module")
def built(cache) -> dict[str, dict[str, datasets.DatasetDict]]:
    """Every config of the four new samples, built once."""
    return {name: {config: crs_hf.load_dataset(name, config, data_dir=sample_data_dir(name), cache_dir=cache)
                   for config in (c.name for c in get_builder_class(name).BUILDER_CONFIGS)}
            for name in NEW_SAMPLES}


@pytest.mark.parametrize("name", list(NEW_SAMPLES))
def test_new_sample_builds_every_config_with_exact_counts(built, name):
    configs = built[name]
    assert {c: {s: len(d) for s, d in ds.items()} for c, ds in configs.items() if c in SIDE_ROWS[name]} == {
        c: {"train": n} for c, n in SIDE_ROWS[name].items()}
    assert {s: len(d) for s, d in configs["dialogs"].items()} == {"train": 12, "validation": 4, "test": 4}
    roles = {s: Counter(d["role"]) for s, d in configs["turns"].items()}
    assert {s: (r["Seeker"], r["Recommender"]) for s, r in roles.items()} == TURN_ROLES[name]
    rec = {}
    for split, turns in configs["turns"].items():
        rows = zip(turns["role"], turns["items"], turns["context_items"])
        gold = [(items, set(context)) for role, items, context in rows if role == "Recommender" and items]
        rec[split] = (len(gold), sum(any(i in seen for i in items) for items, seen in gold),
                      sum(any(i not in seen for i in items) for items, seen in gold))
    assert rec == REC_TURNS[name]
    items = set(configs["items"]["train"]["item_id"])
    assert all(set(i) <= items for turns in configs["turns"].values() for i in turns["items"])


@pytest.mark.parametrize("name", list(NEW_SAMPLES))
def test_new_sample_graphs_keep_a_relation_by_default(cache, name):
    data_dir = sample_data_dir(name)
    entity, word = load_graph(name, data_dir=data_dir, cache_dir=cache), load_graph(name, "word_kg", data_dir=data_dir,
                                                                                    cache_dir=cache)
    assert ((entity.edge_index.shape[1], entity.relations, entity.num_nodes),
            (word.edge_index.shape[1], word.num_nodes)) == GRAPHS[name]
    if name == "opendialkg":
        everything = load_graph(name, data_dir=data_dir, cache_dir=cache, min_relation_count=0)
        assert len(everything.relations) == 10 and "Co-star" in everything.relations


# ---- dataset facts ----------------------------------------------------------------------------------------------

FACTS = {
    "durecdial2": (("bot",), None),
    "redial": (("Recommender",), r"@\d+"),
    "tgredial": (("Recommender",), None),
    "gorecdial": (("Recommender",), r"@\d+"),
    "opendialkg": (("Recommender",), None),
    "inspired": (("Recommender",), None),
    "durecdial": (("Recommender",), None),
}


def test_dataset_facts_of_every_dataset():
    facts = {name: dataset_facts(name) for name in DATASETS}
    assert {name: (entry.recommender_roles, entry.item_mention) for name, entry in facts.items()} == FACTS
    assert dataset_facts("redial") is DATASETS["redial"]
    with pytest.raises(CRSHFError, match="unknown dataset 'nope'"):
        dataset_facts("nope")
    with pytest.raises(ValueError, match=r"item_mention must be a regular expression, but got '@\('"):
        DatasetEntry("x", "m", "B", recommender_roles=("Recommender",), item_mention="@(")
    with pytest.raises(ValueError, match=r"recommender_roles must be a non-empty tuple"):
        DatasetEntry("x", "m", "B", recommender_roles=(), item_mention=None)
    with pytest.raises(TypeError):  # the facts are required: a new dataset must state them
        DatasetEntry("x", "m", "B")


def test_samples_agree_with_the_facts(built, cache):
    """The recommender's role is a role of the built turns; where the dataset names items by a token, every
    recommender turn with gold items holds one such token per item, and elsewhere no response holds ReDial's."""
    turns = {name: built[name]["turns"] for name in NEW_SAMPLES}
    turns |= {name: crs_hf.load_dataset(name, data_dir=sample_data_dir(name), cache_dir=cache)
              for name in ("redial", "tgredial")}
    for name, splits in turns.items():
        facts = dataset_facts(name)
        pattern = re.compile(facts.item_mention or FACTS["redial"][1])
        for split in splits.values():
            assert set(split["role"]) == {"Seeker", "Recommender"}
            assert set(facts.recommender_roles) <= set(split["role"])
            mentions = [(sum(map(bool, map(pattern.fullmatch, response.split()))), len(items))
                        for role, response, items in zip(split["role"], split["response"], split["items"])]
            if facts.item_mention:
                recommended = [(found, n) for (found, n), role in zip(mentions, split["role"])
                               if n and role == "Recommender"]
                assert recommended and all(found == n for found, n in recommended), name
            else:
                assert not any(found for found, _ in mentions), name
