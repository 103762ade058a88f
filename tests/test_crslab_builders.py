"""CRSLab's six datasets on tiny fixtures in each published format: one fixture per data rule, exact records."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import datasets
import pytest
from crslab_fixtures import (
    ADA_WU, COMEDY, GLASS_HOURS, KUNGFU, MOON_CITY, NIGHT_TRAIN, NOBODY, PAPER_MOONS, REDIAL_ENTITIES,
    durecdial_raw_record, gorecdial_dialogs, inspired_row, inspired_rows, redial_dialogs,
    redial_raw_record, tgredial_dialogs, utt, write_durecdial_crslab, write_durecdial_raw, write_gorecdial,
    write_inspired_crslab, write_inspired_raw, write_json, write_lines, write_opendialkg_crslab, write_opendialkg_raw,
    write_redial_crslab, write_redial_raw, write_tgredial,
)

import crs_hf
from crs_hf.cli import main
from crs_hf.data import export_dataset, get_builder_class
from crs_hf.data.builder import UnavailableConfigError
from crs_hf.errors import CRSDataError

CONFIGS = ["turns", "dialogs", "entity_kg", "word_kg", "items", "entity2id", "word2id", "token2id"]


def load(tmp_path: Path, name: str, config: str, data_dir: Path) -> datasets.DatasetDict:
    return crs_hf.load_dataset(name, config, data_dir=data_dir, cache_dir=str(tmp_path / "cache"))


def rows(tmp_path: Path, name: str, config: str, data_dir: Path, split: str = "validation") -> list[dict]:
    return load(tmp_path, name, config, data_dir)[split].to_list()


def expect_error(tmp_path: Path, name: str, config: str, data_dir: Path, match: str,
                 error: type[Exception] = CRSDataError) -> None:
    """The build raises `error` and leaves nothing in its (own, fresh) cache."""
    cache = Path(tempfile.mkdtemp(dir=tmp_path, prefix="failed-cache-"))
    with pytest.raises(error, match=match):
        crs_hf.load_dataset(name, config, data_dir=data_dir, cache_dir=str(cache))
    leftovers = [p for p in cache.rglob("*") if p.suffix in {".arrow", ".json"} or p.name.endswith(".incomplete")]
    assert leftovers == [], f"a failed build left {leftovers}"


def turn(dialog_id, turn_id, role, context, response, entities=(), words=(), context_items=(), items=()):
    return {"dialog_id": dialog_id, "turn_id": turn_id, "role": role, "context": context, "response": response,
            "context_entities": list(entities), "context_words": list(words), "context_items": list(context_items),
            "items": list(items)}


def test_data_list_shows_every_dataset_and_config(capsys):
    assert main(["data", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()[2:]
    listed = {tuple(line.split()[:2]) for line in lines}
    for name in ("redial", "tgredial", "gorecdial", "opendialkg", "inspired", "durecdial"):
        for config in [*CONFIGS, *(["topic2id"] if name == "tgredial" else [])]:
            assert (name, config) in listed, (name, config)
    assert {line.split()[0] for line in lines} == {"durecdial2", "redial", "tgredial", "gorecdial", "opendialkg",
                                                   "inspired", "durecdial"}
    assert any(line.split()[:3] == ["redial", "turns", "(default)"] for line in lines)


# ---- ReDial, CRSLab form: the shared turn rules -----------------------------------------------------------------


def test_redial_turns_merge_same_role_and_deduplicate_context(tmp_path, caplog):
    data = write_redial_crslab(tmp_path / "crslab")
    with caplog.at_level(logging.WARNING):
        got = rows(tmp_path, "redial", "turns", data)
    m0, m1, m2, m3 = "hi i like comedy movies", "have you seen @111 ?", "yes , with Ada Wu", "then try @222 or @111"
    assert got == [
        turn("101", 1, "Recommender", [m0], m1, [COMEDY], ["comedy", "movie"], [], [PAPER_MOONS]),
        turn("101", 2, "Seeker", [m0, m1], m2, [COMEDY, PAPER_MOONS], ["comedy", "movie", "seen"], [PAPER_MOONS]),
        # the unknown entity and word of m2 are dropped; items count as entities, context lists have no repeats
        turn("101", 3, "Recommender", [m0, m1, m2], m3, [COMEDY, PAPER_MOONS, ADA_WU], ["comedy", "movie", "seen"],
             [PAPER_MOONS], [NIGHT_TRAIN, PAPER_MOONS]),
        turn("102", 1, "Seeker", ["hello"], "something funny please"),
        turn("102", 2, "Recommender", ["hello", "something funny please"], "@333 is funny", [], ["funny"], [],
             [GLASS_HOURS]),
    ]
    warnings = [r.getMessage() for r in caplog.records if "dropped names" in r.getMessage()]
    assert warnings == [
        "valid_data.json: dropped names that have no id, as CRSLab does: 1 of 3 entity mentions (not in "
        f"entity2id.json; e.g. '{NOBODY}'); 1 of 6 word mentions (not in concept2id.json; e.g. 'zzz')"
    ]


def test_redial_dialogs_keep_the_release_unmerged(tmp_path):
    got = rows(tmp_path, "redial", "dialogs", write_redial_crslab(tmp_path / "crslab"))
    assert [d["dialog_id"] for d in got] == ["101", "102"]
    assert [u["role"] for u in got[0]["utterances"]] == ["Seeker", "Seeker", "Recommender", "Seeker", "Recommender"]
    assert got[0]["utterances"][3] == {"role": "Seeker", "text": "yes , with Ada Wu", "items": [],
                                       "entities": [ADA_WU, NOBODY], "words": ["zzz"], "metadata": {"utt_id": 3}}
    assert got[0]["metadata"] == {}


def test_redial_side_configs_and_id_round_trip(tmp_path):
    data = write_redial_crslab(tmp_path / "crslab")
    kg = rows(tmp_path, "redial", "entity_kg", data, "train")
    assert kg == [  # heads in ascending id order (1 before 4), ids replaced by names, relations as released ids
        {"head": PAPER_MOONS, "relation": "16", "tail": ADA_WU},
        {"head": PAPER_MOONS, "relation": "185", "tail": PAPER_MOONS},
        {"head": PAPER_MOONS, "relation": "7", "tail": COMEDY},
        {"head": NIGHT_TRAIN, "relation": "16", "tail": ADA_WU},
        {"head": NIGHT_TRAIN, "relation": "7", "tail": COMEDY},
    ]
    assert rows(tmp_path, "redial", "word_kg", data, "train") == [
        {"head": "comedy", "relation": "/r/RelatedTo", "tail": "funny"},  # "/pos" suffixes cut, as CRSLab does
        {"head": "comedy", "relation": "/r/IsA", "tail": "movie"},
    ]
    items = rows(tmp_path, "redial", "items", data, "train")
    assert items[0] == {"item_id": PAPER_MOONS, "name": "Paper Moons", "entity_id": 1, "metadata": None}
    assert [i["name"] for i in items] == ["Paper Moons", "Night Train (1999 film)", "Glass Hours"]
    entity2id = dict((r["name"], r["id"]) for r in rows(tmp_path, "redial", "entity2id", data, "train"))
    assert entity2id == REDIAL_ENTITIES
    for item in items:  # item ids, entity ids and names line up
        assert entity2id[item["item_id"]] == item["entity_id"]
    for record in rows(tmp_path, "redial", "turns", data):
        assert set(record["context_entities"] + record["items"]) <= set(entity2id)
    assert {r["name"] for r in rows(tmp_path, "redial", "word2id", data, "train")} == {"comedy", "movie", "funny",
                                                                                       "seen", "like"}
    assert rows(tmp_path, "redial", "token2id", data, "train")[:4] == [
        {"name": "__pad__", "id": 0}, {"name": "__start__", "id": 1}, {"name": "__end__", "id": 2},
        {"name": "__unk__", "id": 3}]


def test_crslab_split_files_map_to_datasets_splits(tmp_path):
    data = write_redial_crslab(tmp_path / "crslab", stem="train")
    write_json(data / "test_data.json", redial_dialogs()[1:])
    assert {s: len(d) for s, d in load(tmp_path, "redial", "dialogs", data).items()} == {"train": 2, "test": 1}


# ---- ReDial, original form ---------------------------------------------------------------------------------------


def test_redial_original_release(tmp_path):
    raw = write_redial_raw(tmp_path / "raw")
    m0, m1, m2, m3 = "hi i like comedy movies", "have you seen @111 ?", "yes, with Ada Wu", "then try @222 or @111"
    assert rows(tmp_path, "redial", "turns", raw) == [  # the empty message is left out; items are the mentions
        turn("101", 1, "Recommender", [m0], m1, [], [], [], ["111"]),
        turn("101", 2, "Seeker", [m0, m1], m2, ["111"], [], ["111"]),
        turn("101", 3, "Recommender", [m0, m1, m2], m3, ["111"], [], ["111"], ["222", "111"]),
    ]
    dialog = rows(tmp_path, "redial", "dialogs", raw)[0]
    assert len(dialog["utterances"]) == 5
    assert dialog["utterances"][2]["metadata"] == {"timeOffset": 20, "senderWorkerId": 8, "messageId": 502}
    assert dialog["metadata"]["movieMentions"] == {"111": "Paper Moons (2001)", "222": "Night Train (1999)"}
    assert rows(tmp_path, "redial", "items", raw, "train")[1] == {
        "item_id": "222", "name": "Night Train, The (1999)", "entity_id": None, "metadata": {"nbMentions": 3}}


def test_redial_original_release_has_no_kg(tmp_path):
    raw = write_redial_raw(tmp_path / "raw")
    for config in ("entity_kg", "word_kg", "entity2id", "token2id"):
        expect_error(tmp_path, "redial", config, raw, rf"config '{config}' needs CRSLab's processed release; the "
                     r"original ReDial release found here gives only turns, dialogs, items", UnavailableConfigError)


def test_redial_mention_of_an_unlisted_movie(tmp_path):
    record = redial_raw_record()
    record["messages"][5]["text"] = "then try @444"
    raw = write_redial_raw(tmp_path / "raw", [record])
    expect_error(tmp_path, "redial", "turns", raw, r"valid_data\.jsonl:1: messages\[5\]\.text: gold item '444' is not "
                                                   r"in the item list movies_with_mentions\.csv")


def test_redial_sender_must_be_a_worker_of_the_dialog(tmp_path):
    record = redial_raw_record()
    record["messages"][2]["senderWorkerId"] = 9
    raw = write_redial_raw(tmp_path / "raw", [record])
    expect_error(tmp_path, "redial", "dialogs", raw, r"valid_data\.jsonl:1: messages\[2\]\.senderWorkerId: "
                                                     r"expected the initiator \(7\) or the respondent \(8\), got 9")


# ---- bad CRSLab files: file, record and field named ----------------------------------------------------------------


def test_bad_json(tmp_path):
    data = write_redial_crslab(tmp_path / "crslab")
    (data / "valid_data.json").write_text('[{"dialog": []},\n{"dialog": [}]', encoding="utf-8")
    expect_error(tmp_path, "redial", "dialogs", data, r"valid_data\.json:2: invalid JSON")


def test_missing_field_names_record_and_field(tmp_path):
    dialogs = redial_dialogs()
    del dialogs[1]["dialog"][1]["word"]
    data = write_redial_crslab(tmp_path / "crslab", dialogs)
    expect_error(tmp_path, "redial", "turns", data, r"valid_data\.json:2: dialog\[1\]\.word: missing field")


def test_wrongly_typed_field(tmp_path):
    dialogs = redial_dialogs()
    dialogs[0]["dialog"][2]["movies"] = PAPER_MOONS
    data = write_redial_crslab(tmp_path / "crslab", dialogs)
    expect_error(tmp_path, "redial", "dialogs", data,
                 r"valid_data\.json:1: dialog\[2\]\.movies: expected list, got str")


def test_unknown_role(tmp_path):
    dialogs = redial_dialogs()
    dialogs[0]["dialog"][0]["role"] = "Bot"
    data = write_redial_crslab(tmp_path / "crslab", dialogs)
    expect_error(tmp_path, "redial", "turns", data, r"valid_data\.json:1: dialog\[0\]\.role: expected one of "
                                                    r"\('Seeker', 'Recommender'\), got 'Bot'")


def test_gold_item_missing_from_the_item_list(tmp_path):
    dialogs = redial_dialogs()
    dialogs[0]["dialog"][2]["movies"] = [ADA_WU]  # an entity, but not in movie_ids.json
    data = write_redial_crslab(tmp_path / "crslab", dialogs)
    expect_error(tmp_path, "redial", "turns", data, r"valid_data\.json:1: dialog\[2\]\.movies: gold item "
                                                    r"'<http://dbpedia\.org/resource/Ada_Wu>' is not in the item list")


@pytest.mark.parametrize("file, content, config, match", [
    ("movie_ids.json", [1, 4, 77], "items", r"movie_ids\.json:3: item entity id 77 is not an id in entity2id\.json"),
    ("entity2id.json", {PAPER_MOONS: "1"}, "entity2id", r"entity2id\.json: '<.*Paper_Moons>': expected a non-negative"),
    ("dbpedia_subkg.json", {"1": [[16]]}, "entity_kg", r"dbpedia_subkg\.json: '1'\[0\]: expected \[relation id, tail"),
    ("dbpedia_subkg.json", {"x1": []}, "entity_kg", r"dbpedia_subkg\.json: 'x1': expected an entity id"),
    ("token2id.json", ["a"], "token2id", r"token2id\.json: expected a JSON dict at the top level, got list"),
])
def test_bad_side_files(tmp_path, file, content, config, match):
    data = write_redial_crslab(tmp_path / "crslab")
    write_json(data / file, content)
    expect_error(tmp_path, "redial", config, data, match)


def test_bad_kg_line(tmp_path):
    data = write_redial_crslab(tmp_path / "crslab")
    write_lines(data / "conceptnet_subkg.txt", ["/r/IsA\tcomedy/n\tmovie/n", "/r/IsA\tcomedy/n"])
    expect_error(tmp_path, "redial", "word_kg", data,
                 r"conceptnet_subkg\.txt:2: expected 3 tab-separated fields, got 2")


def test_missing_side_file(tmp_path):
    data = write_redial_crslab(tmp_path / "crslab")
    (data / "movie_ids.json").unlink()
    expect_error(tmp_path, "redial", "turns", data, r"movie_ids\.json: file not found \(the 'turns' config needs it\)")
    assert len(load(tmp_path, "redial", "dialogs", data)["validation"]) == 2  # dialogs need no side file


def test_folder_without_release_files(tmp_path):
    (tmp_path / "empty").mkdir()
    expect_error(tmp_path, "redial", "turns", tmp_path / "empty",
                 r"no redial files found: expected CRSLab's processed release .* or the original ReDial release "
                 r"\(train_data\.jsonl, valid_data\.jsonl, test_data\.jsonl\)")


# ---- TG-ReDial ----------------------------------------------------------------------------------------------------


def test_tgredial_turns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        got = rows(tmp_path, "tgredial", "turns", write_tgredial(tmp_path / "tg"))
    assert [(r["turn_id"], r["role"]) for r in got] == [(1, "Recommender"), (2, "Seeker"), (3, "Recommender"),
                                                        (4, "Seeker")]
    ask, talk = {"action": "请求推荐", "topics": ["喜剧"]}, {"action": "谈论", "topics": ["喜剧", "动画"]}
    # "武侠" is not in topic2id: dropped (CRSLab pads it), its pair kept; "推荐电影" pairs are left out
    assert [r["target"] for r in got] == [[ask], [talk, {"action": "谈论", "topics": []}],
                                          [{"action": "谈论", "topics": ["周一航"]}], []]
    assert got[2]["context_targets"] == [[], [ask], [talk, {"action": "谈论", "topics": []}]]
    assert {json.dumps(r["final"], ensure_ascii=False) for r in got} == {'{"action": "推荐电影", "topics": ["喜剧"]}'}
    assert [r["interaction_history"] for r in got] == [[], [], [MOON_CITY], [MOON_CITY]]  # id 99 has no name
    last = got[3]
    assert last["context_entities"] == ["喜剧", "动画", KUNGFU, "周一航"]
    assert last["context_items"] == [KUNGFU] and got[2]["items"] == [KUNGFU]
    assert last["context_words"] == ["电影", "喜欢", "类型", "推荐"]
    assert last["response"] == "好 的 谢谢" and last["context"][3] == "推荐 《 功夫熊猫 》 ， 周一航 配音"
    assert (last["user_id"], len(last["user_profile"]), last["user_profile"][0]) == ("42", 10, "我 喜欢 第0 部 喜剧")
    assert "1 of 10 topic mentions (not in topic2id.json; e.g. '武侠'); 1 of 3 history entity mentions " \
           "(not in entity2id.json; e.g. 99)" in caplog.text


def test_tgredial_side_configs(tmp_path):
    data = write_tgredial(tmp_path / "tg")
    assert [r["name"] for r in rows(tmp_path, "tgredial", "topic2id", data, "train")] == ["喜剧", "动画", "周一航"]
    assert rows(tmp_path, "tgredial", "items", data, "train")[0] == {
        "item_id": KUNGFU, "name": KUNGFU, "entity_id": 1, "metadata": None}
    assert rows(tmp_path, "tgredial", "entity_kg", data, "train")[0] == {"head": KUNGFU, "relation": "主演",
                                                                          "tail": "周一航"}
    dialog = rows(tmp_path, "tgredial", "dialogs", data)[0]
    assert dialog["metadata"] == {"user_id": "42"}
    assert dialog["utterances"][3]["metadata"]["target"] == [4, "推荐电影", "功夫熊猫", "谈论", "周一航"]


def test_tgredial_roles_must_alternate(tmp_path):
    dialogs = tgredial_dialogs()
    dialogs[0]["messages"][1]["role"] = "Seeker"
    data = write_tgredial(tmp_path / "tg", dialogs)
    expect_error(tmp_path, "tgredial", "turns", data, r"valid_data\.json:1: messages\[1\]\.role: two Seeker utterances "
                                                      r"in a row: this dataset's speakers strictly alternate")


@pytest.mark.parametrize("change, match", [
    (lambda d: d.update(user_id="43"), r"valid_data\.json:1: user_id: user '43' has no profile in user2profile\.json"),
    (lambda d: d.pop("user_id"), r"valid_data\.json:1: user_id: missing field"),
    (lambda d: d["messages"][2].update(target=[3, "谈论", 5]), r"valid_data\.json:1: messages\[2\]\.target\[2\]: "
                                                               r"expected a topic or a list of topics, got 5"),
    (lambda d: d["messages"][0].update(final=["推荐电影"]), r"valid_data\.json:1: messages\[0\]\.final: expected "
                                                           r"\[action, \[topic, \.\.\.\]\]"),
    (lambda d: d["messages"][4].pop("local_id"), r"valid_data\.json:1: messages\[4\]\.local_id: missing field"),
])
def test_tgredial_bad_fields(tmp_path, change, match):
    dialogs = tgredial_dialogs()
    change(dialogs[0])
    expect_error(tmp_path, "tgredial", "turns", write_tgredial(tmp_path / "tg", dialogs), match)


# ---- GoRecDial ----------------------------------------------------------------------------------------------------


def test_gorecdial_skips_empty_utterances_and_keeps_decide(tmp_path):
    got = rows(tmp_path, "gorecdial", "turns", write_gorecdial(tmp_path / "go"))
    u0 = "hi , i watched @1 and @2 lately"
    assert [(r["turn_id"], r["role"], r["context"], r["response"]) for r in got] == [
        (1, "Seeker", [u0], "any ideas ?"),  # the empty recommender utterance is neither response nor context
        (2, "Recommender", [u0, "any ideas ?"], "try @3 , a comedy"),
        (3, "Seeker", [u0, "any ideas ?", "try @3 , a comedy"], "ok"),
    ]
    assert [r["decide"] for r in got] == [0, "1", {"choice": 3}]  # JSON values of any type, strings stay strings
    assert got[2]["context_entities"] == [PAPER_MOONS, NIGHT_TRAIN, COMEDY, GLASS_HOURS]
    assert got[2]["context_items"] == [PAPER_MOONS, NIGHT_TRAIN, GLASS_HOURS]
    assert got[0]["dialog_id"] == "valid-0"  # no conv_id in the release


def test_gorecdial_alternation_is_checked_before_empty_utterances_go(tmp_path):
    dialogs = gorecdial_dialogs()
    dialogs[0]["dialog"][1]["role"] = "Seeker"
    expect_error(tmp_path, "gorecdial", "turns", write_gorecdial(tmp_path / "go", dialogs),
                 r"valid_data\.json:1: dialog\[1\]\.role: two Seeker utterances in a row")


def test_gorecdial_decide_is_required(tmp_path):
    dialogs = gorecdial_dialogs()
    del dialogs[0]["dialog"][2]["decide"]
    expect_error(tmp_path, "gorecdial", "turns", write_gorecdial(tmp_path / "go", dialogs),
                 r"valid_data\.json:1: dialog\[2\]\.decide: missing field")


# ---- INSPIRED -----------------------------------------------------------------------------------------------------


def test_inspired_original_tsv(tmp_path):
    raw = write_inspired_raw(tmp_path / "raw")
    got = rows(tmp_path, "inspired", "turns", raw)
    r0, s1, r2 = "Hi there! What do you like?", 'I loved "Paper Moons"', "Try Night Train or Glass Hours"
    assert got == [
        turn("d1.pkl", 1, "Seeker", [r0], s1, items=["Paper Moons (2001)"]),
        turn("d1.pkl", 2, "Recommender", [r0, s1], r2, ["Ada Wu", "comedy", "drama", "Paper Moons (2001)"], [],
             ["Paper Moons (2001)"], ["Night Train (1999)", "Glass Hours (2010)"]),
        turn("d2.pkl", 1, "Recommender", ["Hello"], "Have you seen Paper Moons?", items=["Paper Moons (2001)"]),
    ]
    dialog = rows(tmp_path, "inspired", "dialogs", raw)[0]
    assert dialog["metadata"]["movie_dict"] == "{'Paper Moons (2001)': 0}"
    assert dialog["utterances"][1]["metadata"]["expert_label"] == "opinion_inquiry"
    assert [i["item_id"] for i in rows(tmp_path, "inspired", "items", raw, "train")] == [
        "Paper Moons (2001)", "Night Train (1999)", "Glass Hours (2010)"]


def test_inspired_crslab_form(tmp_path):
    got = rows(tmp_path, "inspired", "turns", write_inspired_crslab(tmp_path / "crslab"))
    assert [(r["role"], r["context"], r["items"]) for r in got] == [
        ("Seeker", ["Hi there ! What do you like ?"], [PAPER_MOONS]),
        ("Recommender", ["Hi there ! What do you like ?", "I loved Paper Moons"], [NIGHT_TRAIN]),
    ]
    dialog = rows(tmp_path, "inspired", "dialogs", write_inspired_crslab(tmp_path / "crslab"))[0]
    assert dialog["utterances"][2]["metadata"] == {"utt_id": 3, "genre": ["comedy"], "people": ["Ada Wu"]}


@pytest.mark.parametrize("rows_, match", [
    (lambda r: r[:4] + [r[4]] + [r[0]], r"dev\.tsv:7: dialog_id: rows of dialog 'd1\.pkl' are not adjacent"),
    (lambda r: [r[0], r[1][:-1]], r"dev\.tsv:3: expected 19 fields like the header, got 18"),
    (lambda r: [inspired_row("d1", 1, "BOT", "hi")], r"dev\.tsv:2: speaker: expected SEEKER or RECOMMENDER, got 'BOT'"),
])
def test_inspired_bad_tsv(tmp_path, rows_, match):
    raw = write_inspired_raw(tmp_path / "raw", rows_(inspired_rows()))
    expect_error(tmp_path, "inspired", "dialogs", raw, match)


# ---- DuRecDial 1.0 --------------------------------------------------------------------------------------------


def test_durecdial_original_release(tmp_path):
    raw = write_durecdial_raw(tmp_path / "raw")
    got = rows(tmp_path, "durecdial", "turns", raw)
    assert [(r["dialog_id"], r["turn_id"], r["role"]) for r in got] == [
        ("dev-0", 1, "Seeker"), ("dev-0", 2, "Recommender"), ("dev-0", 3, "Seeker"), ("dev-0", 4, "Recommender"),
        ("dev-1", 1, "Recommender"), ("dev-1", 2, "Seeker"), ("dev-1", 3, "Recommender"), ("dev-1", 4, "Seeker"),
    ]
    assert got[1]["context"] == ["你好 ， 林乔 ！", "你好 。"] and got[1]["response"] == "推荐 你 看 纸月亮 。"
    dialog = rows(tmp_path, "durecdial", "dialogs", raw)[0]
    assert [u["metadata"] for u in dialog["utterances"]] == [{"goal_index": 1}, {}, {"goal_index": 2}, {},
                                                             {"goal_index": 3}]
    assert dialog["metadata"]["knowledge"] == [["纸月亮", "主演", "吴艾达"]]
    expect_error(tmp_path, "durecdial", "items", raw, r"config 'items' needs CRSLab's processed release",
                 UnavailableConfigError)


def test_durecdial_first_speaker_must_be_stated(tmp_path):
    record = durecdial_raw_record()
    record["goal"] = "[1] 寒暄 --> [2] 再见"
    expect_error(tmp_path, "durecdial", "turns", write_durecdial_raw(tmp_path / "raw", [record]),
                 r"dev\.txt:1: goal: cannot tell who speaks first")


def test_durecdial_crslab_form_requires_alternation(tmp_path):
    data = write_durecdial_crslab(tmp_path / "crslab")
    got = rows(tmp_path, "durecdial", "turns", data)
    assert [(r["role"], r["items"]) for r in got] == [("Seeker", []), ("Recommender", ["纸月亮"])]
    bad = [{"dialog": [utt("Seeker", "a", item_field="item"), utt("Seeker", "b", item_field="item")]}]
    expect_error(tmp_path, "durecdial", "turns", write_durecdial_crslab(tmp_path / "bad", bad),
                 r"valid_data\.json:1: dialog\[1\]\.role: two Seeker utterances in a row")


# ---- OpenDialKG ---------------------------------------------------------------------------------------------------


def test_opendialkg_original_release(tmp_path):
    raw = write_opendialkg_raw(tmp_path / "raw")
    got = rows(tmp_path, "opendialkg", "turns", raw, "train")
    s0, r1 = "I like Paper Moons. Anything similar?", "Night Train also has Ada Wu."
    assert got == [  # a KG walk Paper Moons -> ... -> Night Train links the turns before and after it
        turn("opendialkg-0", 1, "Recommender", [s0], r1, ["Paper Moons"]),
        turn("opendialkg-0", 2, "Seeker", [s0, r1], "Thanks!", ["Paper Moons", "Night Train"]),
        turn("opendialkg-1", 1, "Seeker", [r1], "Thanks!"),
    ]
    dialog = rows(tmp_path, "opendialkg", "dialogs", raw, "train")[0]
    assert dialog["utterances"][2]["metadata"]["kg_path"][1][0] == ["Paper Moons", "starred_actors", "Ada Wu"]
    assert dialog["metadata"] == {"user_rating": "5", "assistant_rating": "4"}
    assert len(rows(tmp_path, "opendialkg", "entity_kg", raw, "train")) == 2


@pytest.mark.parametrize("messages, match", [
    ("[{", r"opendialkg\.csv:2: Messages: invalid JSON"),
    (json.dumps([{"type": "chat", "sender": "bot", "message": "x"}]), r"Messages\[0\]\.sender: expected user or "),
    (json.dumps([{"type": "action", "metadata": {"path": [1, [], "x"]}}]), r"Messages\[0\]\.metadata\.path: expected"),
])
def test_opendialkg_bad_messages(tmp_path, messages, match):
    raw = write_opendialkg_raw(tmp_path / "raw", [[messages, "", ""]])
    expect_error(tmp_path, "opendialkg", "turns", raw, match)


def test_opendialkg_crslab_form_merges(tmp_path):
    got = rows(tmp_path, "opendialkg", "turns", write_opendialkg_crslab(tmp_path / "crslab"))
    assert [(r["context"], r["context_entities"], r["items"]) for r in got] == [
        (["I like Paper Moons . Anything similar ?"], ["Paper Moons"], ["Night Train"])]


# ---- every form exports to the Hub layout that plain datasets reads -------------------------------------------------


@pytest.mark.parametrize("name, writer, configs", [
    ("redial", write_redial_crslab, CONFIGS),
    ("redial", write_redial_raw, ["turns", "dialogs", "items"]),
    ("tgredial", write_tgredial, ["turns", "topic2id"]),
    ("gorecdial", write_gorecdial, ["turns", "dialogs"]),
    ("inspired", write_inspired_raw, ["turns", "dialogs", "items"]),
    ("opendialkg", write_opendialkg_raw, ["turns", "entity_kg"]),
    ("durecdial", write_durecdial_raw, ["turns", "dialogs"]),
])
def test_export_then_plain_load_equals_builder(tmp_path, name, writer, configs):
    data = writer(tmp_path / "data")
    out = tmp_path / "hub"
    result = export_dataset(name, out, data_dir=data, configs=configs, cache_dir=str(tmp_path / "cache"))
    for config in configs:
        built = load(tmp_path, name, config, data)
        loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "plain"))
        assert sorted(loaded) == sorted(built) == sorted(result.rows[config])
        for split in built:
            assert loaded[split].features == built[split].features, (config, split)
            assert loaded[split].to_list() == built[split].to_list(), (config, split)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"license: {get_builder_class(name).LICENSE}" in card and "## Processing applied" in card
    assert "## Provenance" in card and "## Citation" in card and "zhou-etal-2021-crslab" in card
