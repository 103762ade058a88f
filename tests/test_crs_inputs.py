"""CRSLab `turns` -> model inputs: one example per gold item / per response, padding, ReDial's hierarchical context
and item placeholder, KGSF's copy mask."""

import pytest
import torch

import crs_hf
from crs_hf.data.crs_inputs import (
    ContextEncoding,
    CRSCollator,
    CRSVocabulary,
    conversation_examples,
    copyable_tokens,
    recommendation_examples,
)
from crs_hf.tokenization import word_level_tokenizer


@pytest.fixture(scope="module")
def sample():
    data_dir = crs_hf.data.sample_data_dir("redial")
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    turns = crs_hf.load_dataset("redial", "turns", data_dir=data_dir)["train"]
    token2id = crs_hf.load_dataset("redial", "token2id", data_dir=data_dir)["train"]
    token_ids = dict(zip(token2id["name"], token2id["id"]))
    token_ids["__item__"] = max(token_ids.values()) + 1
    return vocab, turns, word_level_tokenizer(token_ids)


def test_one_recommendation_example_per_gold_item_and_entity_labels_for_pretraining(sample):
    vocab, turns, _ = sample
    examples = recommendation_examples(turns, vocab)
    expected = sum(len([i for i in t["items"] if i in vocab.entity_ids]) for t in turns if t["role"] == "Recommender")
    assert len(examples) == expected > 0
    features = list(examples.select(range(4)))
    batch = CRSCollator(entity_labels=True)(features)
    width = max(len(f["context_entities"]) for f in features)
    assert batch["context_entities"].shape == (4, max(width, 1))
    assert torch.equal(batch["entity_labels"], batch["context_entities"])
    assert "entity_labels" not in CRSCollator()(features)
    assert batch["rec_labels"].tolist() == [f["rec_labels"] for f in features]


def test_flat_context_joins_utterances_as_crslab_or_ends_each_with_the_end_token_and_keeps_the_most_recent(sample):
    vocab, turns, tokenizer = sample
    eos = tokenizer.eos_token_id
    turn = next(t for t in turns if t["role"] == "Recommender" and len(t["context"]) >= 2)
    one = turns.filter(lambda t: (t["dialog_id"], t["turn_id"]) == (turn["dialog_id"], turn["turn_id"]))
    utterances = [tokenizer(u, add_special_tokens=False)["input_ids"] for u in turn["context"]]
    merged = conversation_examples(one, vocab, ContextEncoding(tokenizer))[0]  # CRSLab's merge_utt
    assert merged["input_ids"] == [i for u in utterances for i in u]
    full = conversation_examples(one, vocab, ContextEncoding(tokenizer, utterance_separator="eos"))[0]
    expected = [i for u in utterances for i in u + [eos]]
    assert full["input_ids"] == expected
    short_context = ContextEncoding(tokenizer, max_tokens=5, utterance_separator="eos")
    assert conversation_examples(one, vocab, short_context)[0]["input_ids"] == expected[-5:]
    # CRSLab's response_truncate counts the start and end tokens: 4 leaves 2 response tokens + the end token
    short = conversation_examples(one, vocab, ContextEncoding(tokenizer), max_response_tokens=4)[0]["labels"]
    assert short == tokenizer(turn["response"], add_special_tokens=False)["input_ids"][:2] + [eos]
    assert full["context_words"] == [vocab.word_ids[w] for w in turn["context_words"] if w in vocab.word_ids]


def test_hierarchical_context_is_a_grid_of_utterances_and_item_mentions_become_the_placeholder(sample):
    vocab, turns, tokenizer = sample
    recommender = turns.filter(lambda t: t["role"] == "Recommender" and "@" in t["response"])
    examples = conversation_examples(recommender, vocab, ContextEncoding(tokenizer, hierarchical=True, max_utterances=2),
                                     item_token="__item__")
    item = tokenizer.convert_tokens_to_ids("__item__")
    assert all(len(e["input_ids"]) <= 2 and isinstance(e["input_ids"][0], list) for e in examples)
    assert all(item in e["labels"] for e in examples)
    assert not any(tokenizer.convert_ids_to_tokens(t).startswith("@") for e in examples for t in e["labels"])

    features = list(examples.select(range(3)))
    batch = CRSCollator(pad_token_id=tokenizer.pad_token_id)(features)
    rows = max(len(f["input_ids"]) for f in features)
    width = max(len(u) for f in features for u in f["input_ids"])
    assert batch["input_ids"].shape == (3, rows, width) and "attention_mask" not in batch
    first = features[0]["input_ids"][0]
    assert batch["input_ids"][0, 0, : len(first)].tolist() == first
    assert (batch["input_ids"][0, 0, len(first):] == tokenizer.pad_token_id).all()
    assert (batch["labels"] == -100).sum() == batch["labels"].numel() - sum(len(f["labels"]) for f in features)


def test_an_item_token_outside_the_vocabulary_is_refused(sample):
    vocab, turns, tokenizer = sample
    with pytest.raises(ValueError, match="item_token '__movie__' is not in the tokenizer's vocabulary"):
        conversation_examples(turns, vocab, ContextEncoding(tokenizer), item_token="__movie__")


def test_copy_mask_marks_word_graph_words_and_item_mentions_only(sample):
    vocab, _, tokenizer = sample
    mask = copyable_tokens(tokenizer, vocab)
    assert mask.shape == (len(tokenizer),)
    for token, token_id in tokenizer.get_vocab().items():
        expected = token in vocab.word_ids or (token.startswith("@") and token[1:].isdigit())
        assert bool(mask[token_id]) == (expected and token_id not in tokenizer.all_special_ids), token
    assert mask.any() and not mask.all()


def test_utterance_grids_keep_the_first_utterances_as_crslab_or_the_last(sample):
    vocab, turns, tokenizer = sample
    turn = next(t for t in turns if t["role"] == "Recommender" and len(t["context"]) >= 3)
    one = turns.filter(lambda t: (t["dialog_id"], t["turn_id"]) == (turn["dialog_id"], turn["turn_id"]))
    utterances = [tokenizer(u, add_special_tokens=False)["input_ids"][:3] for u in turn["context"]]
    for keep, expected in (("first", utterances[:2]), ("last", utterances[-2:])):
        grid = ContextEncoding(tokenizer, max_tokens=3, hierarchical=True, max_utterances=2, keep_utterances=keep)
        assert conversation_examples(one, vocab, grid)[0]["input_ids"] == expected


def test_pretraining_sees_every_recommender_turn_once_and_history_and_tokens_are_built_on_request(sample):
    vocab, turns, tokenizer = sample
    per_turn = recommendation_examples(turns, vocab, one_per_gold_item=False)
    assert len(per_turn) == sum(t["role"] == "Recommender" for t in turns)  # CRSLab's retain_recommender_target
    assert set(per_turn["rec_labels"]) == {-100}
    with pytest.raises(ValueError, match="interaction_history"):
        recommendation_examples(turns, vocab, history=True)
    with_tokens = recommendation_examples(turns, vocab, context=ContextEncoding(tokenizer, max_tokens=7))
    assert all(0 < len(ids) <= 7 for ids in with_tokens["input_ids"])
    batch = CRSCollator(pad_token_id=tokenizer.pad_token_id)(list(with_tokens.select(range(3))))
    assert batch["attention_mask"].sum(1).tolist() == [len(ids) for ids in with_tokens["input_ids"][:3]]


def test_tgredial_history_becomes_catalogue_positions():
    data_dir = crs_hf.data.sample_data_dir("tgredial")
    vocab = CRSVocabulary.from_dataset("tgredial", data_dir)
    turns = crs_hf.load_dataset("tgredial", "turns", data_dir=data_dir)["train"]
    examples = recommendation_examples(turns, vocab, history=True)
    positions = vocab.item_position()
    for example, turn in zip(examples, (t for t in turns if t["role"] == "Recommender" for i in t["items"]
                                        if vocab.entity_ids.get(i) in positions)):
        expected = [positions[vocab.entity_ids[n]] for n in turn["interaction_history"]
                    if vocab.entity_ids.get(n) in positions]
        assert example["history_item_positions"] == expected
    assert any(example["history_item_positions"] for example in examples)


def test_every_entity_as_candidate_keeps_the_catalogue_first(sample):
    vocab, _, _ = sample
    every = vocab.with_every_entity_as_candidate()
    assert every.item_entity_ids[: len(vocab.item_entity_ids)] == vocab.item_entity_ids
    assert sorted(every.item_entity_ids) == list(range(1, vocab.n_entity))
