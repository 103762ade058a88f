"""CRSLab `turns` -> model inputs: one example per gold item / per response, padding, ReDial's hierarchical context
and item placeholder, KGSF's copy mask."""

import pytest
import torch

import crs_hf
from crs_hf.data.crs_inputs import (
    ConversationCollator,
    CRSVocabulary,
    RecommendationCollator,
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
    batch = RecommendationCollator(entity_labels=True)(features)
    width = max(len(f["context_entities"]) for f in features)
    assert batch["context_entities"].shape == (4, max(width, 1))
    assert torch.equal(batch["entity_labels"], batch["context_entities"])
    assert "entity_labels" not in RecommendationCollator()(features)
    assert batch["rec_labels"].tolist() == [f["rec_labels"] for f in features]


def test_flat_context_ends_each_utterance_with_the_end_token_and_keeps_the_most_recent(sample):
    vocab, turns, tokenizer = sample
    eos = tokenizer.eos_token_id
    turn = next(t for t in turns if t["role"] == "Recommender" and len(t["context"]) >= 2)
    one = turns.filter(lambda t: (t["dialog_id"], t["turn_id"]) == (turn["dialog_id"], turn["turn_id"]))
    full = conversation_examples(one, vocab, tokenizer)[0]
    expected = [i for u in turn["context"] for i in tokenizer(u, add_special_tokens=False)["input_ids"] + [eos]]
    assert full["input_ids"] == expected
    assert conversation_examples(one, vocab, tokenizer, max_context_tokens=5)[0]["input_ids"] == expected[-5:]
    short = conversation_examples(one, vocab, tokenizer, max_response_tokens=3)[0]["labels"]
    assert len(short) == 3 and short[-1] == eos
    assert full["context_words"] == [vocab.word_ids[w] for w in turn["context_words"] if w in vocab.word_ids]


def test_hierarchical_context_is_a_grid_of_utterances_and_item_mentions_become_the_placeholder(sample):
    vocab, turns, tokenizer = sample
    recommender = turns.filter(lambda t: t["role"] == "Recommender" and "@" in t["response"])
    examples = conversation_examples(recommender, vocab, tokenizer, hierarchical=True, max_utterances=2,
                                     item_token="__item__")
    item = tokenizer.convert_tokens_to_ids("__item__")
    assert all(len(e["input_ids"]) <= 2 and isinstance(e["input_ids"][0], list) for e in examples)
    assert all(item in e["labels"] for e in examples)
    assert not any(tokenizer.convert_ids_to_tokens(t).startswith("@") for e in examples for t in e["labels"])

    features = list(examples.select(range(3)))
    batch = ConversationCollator(tokenizer.pad_token_id)(features)
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
        conversation_examples(turns, vocab, tokenizer, item_token="__movie__")


def test_copy_mask_marks_word_graph_words_and_item_mentions_only(sample):
    vocab, _, tokenizer = sample
    mask = copyable_tokens(tokenizer, vocab)
    assert mask.shape == (len(tokenizer),)
    for token, token_id in tokenizer.get_vocab().items():
        expected = token in vocab.word_ids or (token.startswith("@") and token[1:].isdigit())
        assert bool(mask[token_id]) == (expected and token_id not in tokenizer.all_special_ids), token
    assert mask.any() and not mask.all()
