"""The embedded synthetic ReDial and TG-ReDial samples (CRSLab's format): reproducible, realistic, and buildable."""

import json
from pathlib import Path

import datasets

import crs_hf
from crs_hf.data import export_dataset, get_builder_class, load_graph, sample_data_dir
from crs_hf.data.samples.generate_crslab import generate

SPLITS = ("train", "valid", "test")


def test_shipped_files_equal_the_generator_output(tmp_path):
    counts = generate(tmp_path)
    per_split = {f"{split}_data.json": n for split, n in zip(SPLITS, (12, 4, 4))}
    assert counts == {"redial": per_split, "tgredial": per_split}
    for name in ("redial", "tgredial"):
        shipped = Path(sample_data_dir(name))
        generated = sorted(p.name for p in (tmp_path / name).iterdir())
        assert generated == sorted(p.name for p in shipped.iterdir() if p.name != "README.md")
        for file in generated:
            assert (tmp_path / name / file).read_bytes() == (shipped / file).read_bytes(), f"{name}/{file} is stale"


def read(name: str, file: str):
    return json.loads((Path(sample_data_dir(name)) / file).read_text(encoding="utf-8"))


def test_samples_meet_crslab_evaluation_needs():
    for name in ("redial", "tgredial"):
        assert len(read(name, "movie_ids.json")) >= 50  # CRSLab ranks the top 50 items
    assert len(read("tgredial", "topic2id.json")) >= 50  # and the top 50 topics
    assert {len(sentences) for sentences in read("tgredial", "user2profile.json").values()} == {10}
    for split in SPLITS:
        for dialog in read("tgredial", f"{split}_data.json"):
            roles = [m["role"] for m in dialog["messages"]]
            assert all(a != b for a, b in zip(roles, roles[1:]))
            assert all(m["text"].count("《") == len(m["movie"]) for m in dialog["messages"])  # NTRD's slots
    first_roles = {d["dialog"][0]["role"] for s in SPLITS for d in read("redial", f"{s}_data.json")}
    assert first_roles == {"Seeker", "Recommender"}


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
