"""DuRecDial 2.0 builder on tiny fixtures: one fixture per data rule, exact records asserted."""

import json
import os
from pathlib import Path

import pytest
from durecdial2_fixtures import greeting_dialog, weather_dialog, write_parallel, write_split

import crs_hf
from crs_hf.data import load_builder
from crs_hf.errors import CRSDataError, CRSHFError


def load(tmp_path: Path, config: str, data_dir: Path):
    return crs_hf.load_dataset("durecdial2", config, data_dir=data_dir, cache_dir=str(tmp_path / "cache"))


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    return write_parallel(tmp_path / "raw")


def test_en_records_follow_the_speaker_rule(tmp_path, raw):
    rows = load(tmp_path, "en", raw)["validation"].to_list()
    # Greetings dialog: bot at 0, 2, 4 (the first one with an empty context); weather dialog: bot at 1, 3.
    assert [(r["dialog_id"], r["turn_id"]) for r in rows] == [
        ("dev-0", 0), ("dev-0", 2), ("dev-0", 4), ("dev-1", 1), ("dev-1", 3)
    ]
    first, second = rows[0], rows[1]
    assert first["context"] == [] and first["context_roles"] == []
    assert first["response"] == "Hello, Lin Qiao!"  # "[1]" marker stripped
    assert second["context"] == ["Hello, Lin Qiao!", "Hi there."]
    assert second["context_roles"] == ["bot", "user"]
    assert second["response"] == "Have you seen Paper Moons?"
    assert second["goal"] == {"type": "Movie recommendation", "topic": "Paper Moons"}
    assert second["goal_switch"] is True and rows[2]["goal_switch"] is True and rows[3]["goal_switch"] is False
    assert second["knowledge"] == [["Paper Moons", "Director", "Ada Wu"]]  # flat English triple -> list of triples
    assert second["goal_sequence"] == [
        {"type": "Greetings", "topic": "Greetings"},
        {"type": "Movie recommendation", "topic": "Paper Moons"},
        {"type": "Say goodbye", "topic": "Say goodbye"},
    ]
    assert second["user_profile"] == {"Name": "Lin Qiao", "Accepted movies": ["Paper Moons"]}
    assert (second["source_lang"], second["target_lang"]) == ("en", "en")
    assert rows[3]["context_roles"] == ["user"] and rows[3]["response"] == "Sunny, 20 degrees."


def test_zh_keeps_word_segmentation_and_lists_of_triples(tmp_path, raw):
    rows = load(tmp_path, "zh", raw)["validation"].to_list()
    assert rows[1]["response"] == "你 看过 纸月亮 吗 ？"
    assert rows[1]["knowledge"] == [["纸月亮", "导演", "吴艾达"], ["纸月亮", "类型", "喜剧"]]
    assert rows[1]["goal"] == {"type": "电影 推荐", "topic": "纸月亮"}


@pytest.mark.parametrize("config, source, target", [("en-zh", "en", "zh"), ("zh-en", "zh", "en")])
def test_cross_lingual_context_in_one_language_rest_in_the_other(tmp_path, raw, config, source, target):
    rows = load(tmp_path, config, raw)["validation"].to_list()
    context_side = load(tmp_path, source, raw)["validation"].to_list()
    target_side = load(tmp_path, target, raw)["validation"].to_list()
    assert len(rows) == len(context_side) == len(target_side) == 5
    for row, ctx, tgt in zip(rows, context_side, target_side):
        assert (row["source_lang"], row["target_lang"]) == (source, target)
        assert row["context"] == ctx["context"] and row["context_roles"] == ctx["context_roles"]
        for field in ("dialog_id", "turn_id", "response", "goal", "goal_sequence", "knowledge", "user_profile",
                      "situation", "goal_switch"):
            assert row[field] == tgt[field], field


def test_multi_is_en_plus_zh(tmp_path, raw):
    rows = load(tmp_path, "multi", raw)["validation"].to_list()
    en = load(tmp_path, "en", raw)["validation"].to_list()
    zh = load(tmp_path, "zh", raw)["validation"].to_list()
    assert sorted(map(json.dumps, rows)) == sorted(map(json.dumps, en + zh))


def test_dialogs_config(tmp_path, raw):
    rows = load(tmp_path, "dialogs-zh", raw)["validation"].to_list()
    assert [r["dialog_id"] for r in rows] == ["dev-0", "dev-1"]
    assert [r["first_speaker"] for r in rows] == ["bot", "user"]
    assert [u["role"] for u in rows[0]["utterances"]] == ["bot", "user", "bot", "user", "bot"]
    assert rows[0]["utterances"][2]["knowledge"] == [["纸月亮", "导演", "吴艾达"], ["纸月亮", "类型", "喜剧"]]
    assert rows[0]["goal_plan"] == "[1] 寒暄-->[2] 电影 推荐 ( 纸月亮 )-->[3] 再见"


def test_entity_kg_lists_each_triple_once_over_all_splits(tmp_path, raw):
    write_parallel(raw, "train", dialogs=(weather_dialog, greeting_dialog))
    kg = load(tmp_path, "entity_kg-zh", raw)
    assert list(kg) == ["train"]
    assert kg["train"].to_list() == [  # train first, then dev; repeats dropped
        {"subject": "杭州", "relation": "2020-01-02", "object": "晴 , 20"},
        {"subject": "纸月亮", "relation": "导演", "object": "吴艾达"},
        {"subject": "纸月亮", "relation": "类型", "object": "喜剧"},
    ]


def test_any_subset_of_splits_and_dev_is_validation(tmp_path):
    raw = write_parallel(tmp_path / "raw", "train")
    write_parallel(raw, "test", dialogs=(weather_dialog,))
    ds = load(tmp_path, "en", raw)
    assert {split: len(d) for split, d in ds.items()} == {"train": 5, "test": 2}
    assert ds["test"][0]["dialog_id"] == "test-0"


def test_cache_is_reused_and_invalidated_when_a_raw_file_changes(tmp_path, raw):
    first = load(tmp_path, "en", raw)["validation"]
    again = load(tmp_path, "en", raw)["validation"]
    assert again.cache_files == first.cache_files
    write_parallel(raw, "dev", dialogs=(weather_dialog,))
    os.utime(raw / "en_dev.txt", ns=(1, 1))  # a different mtime even on coarse clocks
    assert len(load(tmp_path, "en", raw)["validation"]) == 2


# ---- bad input: one error type naming file, line and field; nothing cached -------------------------------


def _dump(dialog: dict) -> str:
    return json.dumps(dialog, ensure_ascii=False)


def _expect_error(tmp_path: Path, raw: Path, config: str, match: str) -> CRSDataError:
    with pytest.raises(CRSDataError, match=match) as info:
        load(tmp_path, config, raw)
    cache = tmp_path / "cache"
    leftovers = [p for p in cache.rglob("*") if p.suffix in {".arrow", ".json"} or p.name.endswith(".incomplete")]
    assert leftovers == [], f"a failed build left {leftovers}"
    return info.value


def test_malformed_json_names_file_and_line(tmp_path, raw):
    text = (raw / "en_dev.txt").read_text(encoding="utf-8").splitlines()
    (raw / "en_dev.txt").write_text(text[0] + "\n" + text[1][:-5] + "\n", encoding="utf-8")
    error = _expect_error(tmp_path, raw, "en", r"en_dev\.txt:2: invalid JSON")
    assert (error.path, error.line) == (str(raw / "en_dev.txt"), 2)


def test_missing_field_names_the_field(tmp_path, raw):
    dialog = weather_dialog("zh")
    del dialog["goal_topic_list"]
    write_split(raw, "dev", {"zh": [greeting_dialog("zh"), dialog]})
    _expect_error(tmp_path, raw, "zh", r"zh_dev\.txt:2: goal_topic_list: missing field")


def test_per_utterance_list_of_wrong_length(tmp_path, raw):
    dialog = greeting_dialog("en")
    dialog["knowledge"] = dialog["knowledge"][:-1]
    write_split(raw, "dev", {"en": [dialog]})
    _expect_error(tmp_path, raw, "en", r"en_dev\.txt:1: knowledge: expected one entry per utterance \(5\), got 4")


def test_bad_knowledge_entry(tmp_path, raw):
    dialog = greeting_dialog("en")
    dialog["knowledge"][2] = ["only", "two"]
    write_split(raw, "dev", {"en": [dialog]})
    _expect_error(tmp_path, raw, "en", r"en_dev\.txt:1: knowledge\[2\]: expected \[\]")


def test_parallel_dialogs_of_different_length(tmp_path, raw):
    short = weather_dialog("zh")
    for field in ("conversation", "goal_type_list", "goal_topic_list", "knowledge"):
        short[field] = short[field][:3]
    write_split(raw, "dev", {"zh": [greeting_dialog("zh"), short]})
    _expect_error(tmp_path, raw, "en-zh", r"zh_dev\.txt:2: conversation: parallel dialogs differ in length: 3 "
                                          r"utterances here, 4 in .*en_dev\.txt line 2")


def test_parallel_files_with_different_dialog_counts(tmp_path, raw):
    write_split(raw, "dev", {"zh": [greeting_dialog("zh")]})
    _expect_error(tmp_path, raw, "multi", r"en_dev\.txt:2: parallel files do not align: .*zh_dev\.txt ends after 1")


def test_empty_file(tmp_path, raw):
    (raw / "zh_dev.txt").write_text("\n", encoding="utf-8")
    _expect_error(tmp_path, raw, "zh", r"zh_dev\.txt: file is empty")


def test_missing_partner_file(tmp_path, raw):
    (raw / "zh_dev.txt").unlink()
    _expect_error(tmp_path, raw, "en-zh", r"zh_dev\.txt: file not found, but .*en_dev\.txt exists")
    assert len(load(tmp_path, "en", raw)["validation"]) == 5  # a monolingual config needs only its language


def test_folder_without_raw_files(tmp_path):
    (tmp_path / "empty").mkdir()
    _expect_error(tmp_path, tmp_path / "empty", "en", r"no DuRecDial 2.0 raw files found")


def test_a_fixed_file_builds_after_a_failure(tmp_path, raw):
    good = (raw / "en_dev.txt").read_text(encoding="utf-8")
    (raw / "en_dev.txt").write_text("{not json\n", encoding="utf-8")
    _expect_error(tmp_path, raw, "en", "invalid JSON")
    (raw / "en_dev.txt").write_text(good, encoding="utf-8")
    os.utime(raw / "en_dev.txt", ns=(2, 2))
    assert len(load(tmp_path, "en", raw)["validation"]) == 5


def test_unknown_dataset_and_config(tmp_path, raw):
    with pytest.raises(CRSHFError, match="unknown dataset 'nope'; available: (.*, )?durecdial2"):
        crs_hf.load_dataset("nope")
    with pytest.raises(CRSHFError, match="no config 'fr'; available: en, zh, multi, zh-en, en-zh"):
        load_builder("durecdial2", "fr", data_dir=raw)
