"""DuRecDial 2.0 metrics: worked examples (corpus-level DuConv formulas), knowledge P/R/F1, LS, UTC, real data."""

import math

import pytest

import crs_hf
from crs_hf.metrics import DuRecDialMetrics, durecdial_metrics
from crs_hf.metrics.durecdial_eval import knowledge_in_response


def test_corpus_level_f1_bleu_and_distinct():
    # tokens: pair 1 [a b] vs [a b]; pair 2 [c] vs [d e f]
    result = durecdial_metrics(["A b", "c"], ["a b", "d e f"])
    precision, recall = 2 / 3, 2 / 5  # hits summed over the corpus, not averaged per pair
    assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    bp = math.exp(1 - 5 / 3)  # corpus hypothesis length 3 < reference length 5
    assert result["bleu@1"] == pytest.approx(bp * 2 / 3)
    assert result["bleu@2"] == pytest.approx(bp * math.sqrt(2 / 3 * 1 / 1))
    assert (result["dist@1"], result["dist@2"]) == (1.0, 1.0)


def test_chinese_is_scored_on_characters_without_the_segmentation_spaces():
    result = durecdial_metrics(["好 的 ， 再见"], ["好的 再 见"])
    assert result["f1"] == pytest.approx(2 * (4 / 5) * 1 / (4 / 5 + 1))
    assert result["dist@1"] == 1.0


def test_knowledge_precision_recall():
    triples = [["Paper Moons", "Director", "Ada Wu"], ["Paper Moons", "Genre", "Comedy"]]
    result = durecdial_metrics(["I love Paper Moons"], ["Paper Moons is directed by Ada Wu"], knowledge=[triples])
    # candidates {Paper Moons, Ada Wu, Comedy}; gold (in the reference) {Paper Moons, Ada Wu}; predicted {Paper Moons}
    assert (result["knowledge_p"], result["knowledge_r"]) == (1.0, 0.5)
    assert result["knowledge_f1"] == pytest.approx(2 / 3)


def test_knowledge_hit_rule():
    assert knowledge_in_response("纸月亮", "你 看过 纸 月亮 吗", "zh")  # segmentation spaces ignored
    assert knowledge_in_response("The Ninth Clock Tower", "have you seen the ninth clock?", "en")  # 3 of 4 tokens
    assert not knowledge_in_response("The Ninth Clock Tower", "the clock", "en")  # 2 of 4 < 0.55
    assert not knowledge_in_response("", "anything", "en")


def record(dialog, turn, goal_type, topic, switch):
    return {"dialog_id": dialog, "turn_id": turn, "goal": {"type": goal_type, "topic": topic}, "goal_switch": switch}


def test_leading_success_and_user_topic_consistency():
    turns = [
        record("d0", 1, "Q&A", "Ada Wu", False),  # first turn: nothing to follow yet
        record("d0", 3, "Movie recommendation", "Paper Moons", True),  # bot opens a target
        record("d0", 5, "Movie recommendation", "Paper Moons", False),
        record("d1", 1, "Chat about stars", "Lin Qiao", False),
        record("d1", 3, "Music on demand", "Glass Sea", False),  # the user asked for a new topic
        record("d1", 5, "Say goodbye", "Say goodbye", False),  # a new goal, but no entity topic
        record("d1", 7, "Music recommendation", "Slow Train", True),  # a second target, never mentioned
    ]
    predictions = ["Ada Wu is great", "How about a film?", "Paper Moons is good", "hi", "Playing Glass Sea", "bye",
                   "nothing"]
    columns = {k: [t[k] for t in turns] for k in ("dialog_id", "turn_id", "goal", "goal_switch")}
    result = durecdial_metrics(predictions, predictions, dialog_ids=columns["dialog_id"], turn_ids=columns["turn_id"],
                               goals=columns["goal"], goal_switches=columns["goal_switch"])
    assert result["ls"] == 1 / 2  # Paper Moons reached in d0, Slow Train never in d1
    assert result["utc"] == 1 / 1  # only d1 turn 3 is a user-introduced entity topic, and it was followed


def test_streaming_and_merging_equal_one_shot():
    preds, refs = ["a b c", "好 的", "x y"], ["a b", "好 的 呀", "y z x"]
    one_shot = durecdial_metrics(preds, refs)
    first, second = DuRecDialMetrics(), DuRecDialMetrics()
    first.add_batch(preds[:1], refs[:1])
    second.add_batch(preds[1:], refs[1:])
    assert first.merge(second).compute() == pytest.approx(one_shot)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"predictions": ["a"], "references": ["a", "b"]}, "got 1 predictions but 2 references"),
        ({"predictions": ["a"], "references": ["a"], "knowledge": [[["s", "r"]]]}, r"knowledge\[0\] holds \['s', 'r'\]"),
        ({"predictions": ["a"], "references": ["a"], "dialog_ids": ["d"]}, "need dialog_ids, turn_ids, goals"),
        ({"predictions": ["a"], "references": ["a"], "languages": ["fr"]}, "language must be 'en' or 'zh'"),
        ({"predictions": [], "references": []}, "no prediction/reference pairs"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        durecdial_metrics(**kwargs)


@pytest.mark.real_data
def test_gold_responses_score_perfectly_on_the_real_dev_set(real_data, tmp_path):
    raw = real_data / "durecdial2"
    if not (raw / "en_dev.txt").is_file():
        pytest.skip(f"{raw} has no DuRecDial 2.0 dev files")
    rows = crs_hf.load_dataset("durecdial2", "en-zh", data_dir=raw, cache_dir=str(tmp_path))["validation"]
    result = durecdial_metrics(rows["response"], rows["response"], knowledge=rows["knowledge"],
                               dialog_ids=rows["dialog_id"], turn_ids=rows["turn_id"], goals=rows["goal"],
                               goal_switches=rows["goal_switch"])
    assert result["f1"] == result["bleu@1"] == result["knowledge_p"] == result["knowledge_r"] == 1.0
    assert result["bleu@2"] == pytest.approx(1.0)
    assert 0.9 < result["ls"] <= 1.0 and 0.9 < result["utc"] <= 1.0  # gold responses mention almost every target/topic
    assert 0 < result["dist@1"] < result["dist@2"] < 1
