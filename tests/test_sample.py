"""The embedded synthetic DuRecDial 2.0 sample: reproducible, complete, and buildable."""

import json
from pathlib import Path

import crs_hf
from crs_hf.data import dataset_facts, sample_data_dir
from crs_hf.data.samples.generate_durecdial2 import generate

GOAL_TYPES = {
    "Say goodbye", "Chat about stars", "Movie recommendation", "Music recommendation", "Greetings", "Play music",
    "Q&A", "POI recommendation", "Ask about user's hobbies", "Ask about weather", "Food recommendation",
    "Ask about user's name", "Ask about user's gender", "Ask about user's age", "Ask about date", "Ask questions",
    "Weather notification", "Ask about time", "Music on demand",
}


def test_shipped_files_equal_the_generator_output(tmp_path):
    counts = generate(tmp_path)
    shipped = Path(sample_data_dir("durecdial2"))
    for name in ("en_train.txt", "en_dev.txt", "en_test.txt", "zh_train.txt", "zh_dev.txt", "zh_test.txt"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), f"{name} is stale: regenerate it"
    assert counts == {f"{lang}_{split}.txt": n for lang in ("en", "zh") for split, n in
                      (("train", 24), ("dev", 8), ("test", 8))}


def test_sample_covers_every_goal_type_and_both_speaker_orders():
    shipped = Path(sample_data_dir("durecdial2"))
    train = [json.loads(line) for line in open(shipped / "en_train.txt", encoding="utf-8")]
    assert {t for dialog in train for t in dialog["goal_type_list"]} == GOAL_TYPES
    for split in ("train", "dev", "test"):
        firsts = {json.loads(line)["goal_type_list"][0] == "Greetings" for line in open(shipped / f"en_{split}.txt")}
        assert firsts == {True, False}, split


def test_sample_builds_every_config(tmp_path):
    cache = str(tmp_path / "cache")
    en = crs_hf.load_dataset("durecdial2", "en", data_dir=sample_data_dir("durecdial2"), cache_dir=cache)
    multi = crs_hf.load_dataset("durecdial2", "multi", data_dir=sample_data_dir("durecdial2"), cache_dir=cache)
    assert {s: len(d) for s, d in en.items()} == {"train": 190, "validation": 63, "test": 60}
    # every record is a bot response (the recommender's role in the facts); the context has both speakers
    assert {role for roles in en["train"]["context_roles"] for role in roles} == {"user", "bot"}
    assert dataset_facts("durecdial2").recommender_roles == ("bot",)
    assert {s: len(d) for s, d in multi.items()} == {s: 2 * n for s, n in {"train": 190, "validation": 63, "test": 60}.items()}
