"""Conversation metrics: worked examples, agreement with sacrebleu / nltk, the crslab variant, streaming, errors."""

import math
import statistics
import warnings

import pytest
import sacrebleu
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.translate.bleu_score import sentence_bleu

from crs_hf.metrics import ConversationMetrics, Perplexity, conversation_metrics

WORDS = st.sampled_from("a b c d e f".split())
SENTENCES = st.lists(WORDS, min_size=1, max_size=10).map(" ".join)
PAIRS = st.lists(st.tuples(SENTENCES, SENTENCES), min_size=1, max_size=25)


def test_standard_distinct_and_f1_worked_example():
    result = conversation_metrics(["a b a b", ""], ["a b", "x"], max_n=2)
    assert result["dist@1"] == 2 / 4  # {a, b} over 4 unigrams (the empty response has none)
    assert result["dist@2"] == 2 / 3  # {(a b), (b a)} over 3 bigrams
    assert result["f1"] == pytest.approx((2 * (2 / 4) * 1 / (2 / 4 + 1) + 0.0) / 2)  # the empty response counts as 0


def test_standard_f1_normalises_and_takes_the_best_reference():
    assert conversation_metrics(["The cat!"], [["a dog", "a cat"]])["f1"] == 1.0
    assert conversation_metrics(["The cat!"], [["a dog", "a cat"]], variant="crslab")["f1"] == 0.0


def test_crslab_distinct_counts_character_ngrams_per_sentence():
    result = conversation_metrics(["ab ab", "ab"], ["x", "y"], variant="crslab", max_n=2)
    assert result["dist@1"] == 3 / 2  # {"a", "b", " "} over 2 responses
    assert result["dist@2"] == 3 / 2  # {"ab", "b ", " a"} over 2 responses


def test_crslab_skips_empty_responses_as_its_gen_evaluate_does_and_standard_counts_them():
    predictions, references = ["p q", "", "p r"], ["p q", "x y", "p q"]
    crslab = conversation_metrics(predictions, references, variant="crslab", max_n=2)
    # scored: "p q" vs "p q" (F1 1, BLEU-1 1) and "p r" vs "p q" (F1 1/2, BLEU-1 1/2, no bigram: BLEU-2 0)
    assert crslab["f1"] == pytest.approx((1 + 0.5) / 2)
    assert crslab["bleu@1"] == pytest.approx((1 + 0.5) / 2)
    assert crslab["bleu@2"] == pytest.approx((1 + 0) / 2)
    assert crslab["dist@1"] == 4 / 2  # {"p", " ", "q", "r"} over the 2 scored responses
    assert crslab["empty"] == pytest.approx(1 / 3)
    standard = conversation_metrics(predictions, references, max_n=2)
    assert standard["f1"] == pytest.approx((1 + 0 + 0.5) / 3)  # the empty one scores 0
    assert standard["empty"] == pytest.approx(1 / 3)
    streamed = ConversationMetrics("crslab", max_n=2)
    for i in range(3):
        streamed.add_batch(predictions[i : i + 1], references[i : i + 1])
    assert streamed.compute() == pytest.approx(crslab)


def test_crslab_with_only_empty_responses_scores_zero_and_says_so():
    result = conversation_metrics(["", " "], ["a", "b"], variant="crslab", max_n=1)
    assert result == {"bleu@1": 0.0, "dist@1": 0.0, "f1": 0.0, "empty": 1.0}


def test_crslab_bleu_is_the_individual_ngram_precision_with_brevity_penalty():
    # hyp "a b c" vs ref "a b d e": p1 = 2/3, p2 = 1/2, BP = exp(1 - 4/3)
    result = conversation_metrics(["a b c"], ["a b d e"], variant="crslab", max_n=3)
    bp = math.exp(1 - 4 / 3)
    assert result["bleu@1"] == pytest.approx(bp * 2 / 3)
    assert result["bleu@2"] == pytest.approx(bp * 1 / 2)
    assert result["bleu@3"] == 0.0


@settings(max_examples=40, deadline=None)
@given(PAIRS)
def test_standard_bleu_equals_sacrebleu(pairs):
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    result = conversation_metrics(hyps, refs)
    for n in range(1, 5):
        corpus = sacrebleu.metrics.BLEU(tokenize="none", max_ngram_order=n).corpus_score(hyps, [refs]).score / 100
        assert result[f"bleu@{n}"] == pytest.approx(corpus, abs=1e-9)
    sentence = statistics.mean(sacrebleu.sentence_bleu(h, [r], tokenize="none").score / 100 for h, r in pairs)
    assert result["sentence_bleu@4"] == pytest.approx(sentence, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(PAIRS)
def test_crslab_bleu_equals_nltk(pairs):
    result = conversation_metrics([h for h, _ in pairs], [r for _, r in pairs], variant="crslab")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns on zero counts and returns ~1e-308
        for n in range(1, 5):
            weights = [0.0] * 4
            weights[n - 1] = 1.0
            expected = statistics.mean(sentence_bleu([r.split(" ")], h.split(" "), weights=weights) for h, r in pairs)
            assert result[f"bleu@{n}"] == pytest.approx(expected, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(PAIRS, st.sampled_from(["standard", "crslab"]), st.randoms())
def test_properties(pairs, variant, rng):
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    result = conversation_metrics(hyps, refs, variant=variant)
    for name, value in result.items():
        assert value >= 0
        if not name.startswith("dist") or variant == "standard":
            assert value <= 1 + 1e-9, name
    perfect = conversation_metrics(refs, refs, variant=variant)
    assert perfect["f1"] == 1.0 and perfect["bleu@1"] == pytest.approx(1.0)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    shuffled = conversation_metrics([hyps[i] for i in order], [refs[i] for i in order], variant=variant)
    assert shuffled == pytest.approx(result)
    cut = rng.randint(0, len(pairs))
    first, second = ConversationMetrics(variant), ConversationMetrics(variant)
    first.add_batch(hyps[:cut], refs[:cut])
    second.add_batch(hyps[cut:], refs[cut:])
    assert first.merge(second).compute() == pytest.approx(result)


def test_embedding_metrics_score_zero_without_vectors():  # worked examples: tests/test_metrics_embedding.py
    vectors = {"a": [1.0, 0.0], "b": [0.0, 1.0]}
    assert conversation_metrics(["z"], ["a"], embeddings=vectors)["emb_avg"] == 0.0
    assert conversation_metrics([""], ["a"], embeddings=vectors)["emb_greedy"] == 0.0


def test_embeddings_from_a_model_embedding_table():
    table = torch.nn.Embedding(3, 4)
    vocab = {"a": 0, "b": 1, "c": 2}
    lookup = lambda tokens: table.weight[[vocab[t] for t in tokens if t in vocab]].detach()  # noqa: E731
    assert conversation_metrics(["a b c"], ["a b c"], embeddings=lookup)["emb_greedy"] == pytest.approx(1.0)


def test_perplexity_token_weighted_versus_crslab_batch_means():
    standard, crslab = Perplexity(), Perplexity("crslab")
    for metric in (standard, crslab):
        metric.add_nll(2.0, 1)  # batch 1: mean NLL 2 over one token
        metric.add_nll(4.0, 4)  # batch 2: mean NLL 1 over four tokens
    assert standard.compute()["ppl"] == pytest.approx(math.exp(6 / 5))
    assert crslab.compute()["ppl"] == pytest.approx(math.exp((2 + 1) / 2))


def test_perplexity_from_logits_ignores_padding():
    ppl = Perplexity()
    ppl.add_batch(torch.zeros(2, 3, 4), torch.tensor([[1, 2, -100], [0, -100, -100]]))  # uniform over 4 tokens
    assert ppl.compute()["ppl"] == pytest.approx(4.0)
    assert ppl.sums["tokens"] == 3


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: conversation_metrics(["a"], ["a", "b"]), ValueError, "got 1 predictions but 2 references"),
        (lambda: conversation_metrics(["a"], [[]]), ValueError, r"references\[0\] must be a string or a non-empty"),
        (lambda: conversation_metrics([None], ["a"]), TypeError, r"predictions\[0\] is NoneType"),
        (lambda: conversation_metrics("abc", "abc"), TypeError, "not a single string"),
        (lambda: conversation_metrics([], []), ValueError, "no prediction/reference pairs"),
        (lambda: conversation_metrics(["a"], ["a"], variant="nltk"), ValueError, "variant must be one of"),
        (lambda: conversation_metrics(["a"], ["a"], tokenizer="jieba"), ValueError, "tokenizer must be one of"),
        (lambda: Perplexity().compute(), ValueError, "no tokens were added"),
        (lambda: Perplexity().add_batch(torch.zeros(2, 3, 4), torch.zeros(2, 2, dtype=torch.long)), ValueError,
         "do not align"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
