"""Tier 2: the DuRecDial 2.0 builder on the real dev files (611 parallel dialogs) in ../shared/crs_data."""

import json
import re

import datasets
import pytest

import crs_hf
from crs_hf.data import export_dataset

pytestmark = pytest.mark.real_data

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def raw_dir(real_data):
    folder = real_data / "durecdial2"
    if not (folder / "en_dev.txt").is_file():
        pytest.skip(f"{folder} has no en_dev.txt")
    return folder


@pytest.fixture(scope="module")
def raw_dialogs(raw_dir):
    return {lang: [json.loads(line) for line in open(raw_dir / f"{lang}_dev.txt", encoding="utf-8") if line.strip()]
            for lang in ("en", "zh")}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("real-cache"))


def expected_bot_turns(dialog: dict, greeting: str) -> list[int]:
    """Counted straight from the raw record: the bot opens Greetings dialogs, the user all others."""
    bot_first = dialog["goal_type_list"][0].strip() == greeting
    return [i for i in range(len(dialog["conversation"])) if (i % 2 == 0) == bot_first]


def test_raw_files_are_parallel(raw_dialogs):
    assert len(raw_dialogs["en"]) == len(raw_dialogs["zh"]) == 611


@pytest.mark.parametrize("config", ["en", "zh", "multi", "zh-en", "en-zh"])
def test_record_counts_equal_bot_utterance_counts(raw_dir, raw_dialogs, cache, config):
    expected_en = [(f"dev-{i}", t) for i, d in enumerate(raw_dialogs["en"]) for t in expected_bot_turns(d, "Greetings")]
    expected_zh = [(f"dev-{i}", t) for i, d in enumerate(raw_dialogs["zh"]) for t in expected_bot_turns(d, "寒暄")]
    assert expected_en == expected_zh  # both languages agree on who speaks when
    rows = crs_hf.load_dataset("durecdial2", config, data_dir=raw_dir, cache_dir=cache)["validation"]
    got = list(zip(rows["dialog_id"], rows["turn_id"]))
    if config == "multi":
        assert sorted(got) == sorted(expected_en * 2)
    else:
        assert got == expected_en
    assert len(got) == (9600 if config == "multi" else 4800)


@pytest.mark.parametrize("config, context_cjk, response_cjk", [("en-zh", False, True), ("zh-en", True, False)])
def test_cross_lingual_languages(raw_dir, cache, config, context_cjk, response_cjk):
    rows = crs_hf.load_dataset("durecdial2", config, data_dir=raw_dir, cache_dir=cache)["validation"]
    contexts = [u for context in rows["context"] for u in context]
    responses = rows["response"]
    share = lambda texts: sum(bool(CJK.search(t)) for t in texts) / len(texts)  # noqa: E731
    assert share(responses) > 0.9 if response_cjk else share(responses) < 0.02
    assert share(contexts) > 0.9 if context_cjk else share(contexts) < 0.02
    knowledge = [part for triples in rows["knowledge"] for triple in triples for part in triple]
    assert share(knowledge) > 0.5 if response_cjk else share(knowledge) < 0.05


def test_responses_are_the_raw_utterances_without_markers(raw_dir, raw_dialogs, cache):
    rows = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=raw_dir, cache_dir=cache)["validation"]
    for row in rows.select(range(0, len(rows), 97)):
        index = int(row["dialog_id"].split("-")[1])
        raw_zh = raw_dialogs["zh"][index]["conversation"][row["turn_id"]]
        assert re.sub(r"^\s*\[\d+\]\s*", "", raw_zh).strip() == row["response"]
        assert row["goal_switch"] == bool(re.match(r"^\s*\[\d+\]", raw_zh))
        assert row["goal"]["type"] == raw_dialogs["zh"][index]["goal_type_list"][row["turn_id"]]


def test_export_then_plain_load_equals_builder(raw_dir, cache, tmp_path):
    out = tmp_path / "hub"
    export_dataset("durecdial2", out, data_dir=raw_dir, configs=["en-zh"], cache_dir=cache)
    built = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=raw_dir, cache_dir=cache)["validation"]
    loaded = datasets.load_dataset(str(out), "en-zh", cache_dir=str(tmp_path / "plain"))["validation"]
    assert loaded.features == built.features
    assert loaded.to_list() == built.to_list()


def test_entity_kg_is_deduplicated(raw_dir, raw_dialogs, cache):
    kg = crs_hf.load_dataset("durecdial2", "entity_kg-en", data_dir=raw_dir, cache_dir=cache)["train"]
    triples = {tuple(k) for d in raw_dialogs["en"] for k in d["knowledge"] if k}
    assert len(kg) == len(triples)
    assert set(zip(kg["subject"], kg["relation"], kg["object"])) == triples
