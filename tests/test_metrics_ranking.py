"""Recommendation and policy metrics: hand-computed examples, properties, streaming and bad input."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchmetrics.functional.retrieval import retrieval_hit_rate, retrieval_reciprocal_rank

from crs_hf.metrics import PolicyMetrics, RankingMetrics, ranking_metrics, top_k_items

# Rankings: row 0 -> [3, 1, 2, 4, 0], row 1 -> [0, 4, 3, 2, 1], row 2 -> [4, 3, 2, 0, 1].
SCORES = torch.tensor([[0.1, 0.5, 0.3, 0.9, 0.2], [0.9, 0.1, 0.2, 0.3, 0.4], [0.2, 0.1, 0.3, 0.4, 0.5]])
LABELS = [2, 0, 1]  # gold ranks 2, 0, 4 (0-based)


def test_worked_example():
    result = ranking_metrics(SCORES, LABELS, ks=(1, 2, 3))
    expected = {
        "hit@1": 1 / 3, "hit@2": 1 / 3, "hit@3": 2 / 3,
        "mrr@1": 1 / 3, "mrr@2": 1 / 3, "mrr@3": (1 / 3 + 1) / 3,
        "ndcg@1": 1 / 3, "ndcg@2": 1 / 3, "ndcg@3": (1 / math.log2(4) + 1) / 3,
        "recall@3": 2 / 3, "n_samples": 3,
    }
    for name, value in expected.items():
        assert result[name] == pytest.approx(value), name


def test_top_k_items_over_a_catalogue_with_exclusions():
    scores = torch.tensor([[9.0, 0.1, 5.0, 0.3, 8.0, 0.2]])  # entity 0 scores highest but is no item
    assert top_k_items(scores, 3, item_ids=[1, 3, 5]).tolist() == [[3, 5, 1]]
    assert top_k_items(scores, 2, item_ids=[1, 3, 5], exclude=[[3]]).tolist() == [[5, 1]]
    result = ranking_metrics(scores, [1], ks=(1, 3), item_ids=[1, 3, 5])
    assert (result["hit@1"], result["hit@3"], result["mrr@3"]) == (0.0, 1.0, pytest.approx(1 / 3))


def test_excluding_context_items_masks_them_and_drops_repeated_gold_items():
    # Row 0 ranks [3, 1, 2, 4, 0]; item 3 was mentioned in the context, so 2 moves from rank 2 to rank 1.
    plain = ranking_metrics(SCORES[:1], [[2, 3]], ks=(1, 2))
    masked = ranking_metrics(SCORES[:1], [[2, 3]], ks=(1, 2), context_items=[[3]], exclude_context_items=True)
    assert (plain["n_samples"], plain["hit@1"], plain["hit@2"]) == (2, 0.5, 0.5)
    assert (masked["n_samples"], masked["hit@1"], masked["hit@2"]) == (1, 0.0, 1.0)


def test_several_gold_items_per_item_and_per_set():
    per_item = ranking_metrics(SCORES[:1], [[3, 2]], ks=(1, 3))  # ranks 0 and 2: two samples
    per_set = ranking_metrics(SCORES[:1], [[3, 2]], ks=(1, 3), multi_label="set")  # one turn
    assert (per_item["n_samples"], per_item["hit@1"], per_item["mrr@3"]) == (2, 0.5, pytest.approx((1 + 1 / 3) / 2))
    assert (per_set["n_samples"], per_set["hit@1"], per_set["recall@1"], per_set["recall@3"]) == (1, 1.0, 0.5, 1.0)
    assert per_set["mrr@3"] == 1.0  # best-ranked gold item


def test_ranked_lists_give_the_same_numbers_as_scores():
    ranked = torch.topk(SCORES, 5).indices
    metric = RankingMetrics(ks=(1, 2, 3))
    metric.add_ranked(ranked, LABELS)
    assert metric.compute() == ranking_metrics(SCORES, LABELS, ks=(1, 2, 3))


def test_policy_accuracy_and_hits():
    logits = torch.tensor([[0.1, 0.7, 0.2, 0.0, 0.0, 0.0], [0.5, 0.1, 0.2, 0.1, 0.05, 0.05]])
    metric = PolicyMetrics()
    metric.add_batch(logits, [1, 2])
    result = metric.compute()
    assert (result["accuracy"], result["hit@1"], result["hit@3"], result["hit@5"]) == (0.5, 0.5, 1.0, 1.0)
    assert result["mrr@3"] == pytest.approx((1 + 1 / 2) / 2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ranking_metrics(SCORES, [2, 0]), "scores has 3 rows but labels has 2 entries"),
        (lambda: ranking_metrics(SCORES, [2, 0, 7], ks=(1,)), r"labels\[2\] holds item 7, which is not in the item"),
        (lambda: ranking_metrics(SCORES, [2, 0, 1], ks=(1, 10)), "k=10 is larger than the catalogue"),
        (lambda: ranking_metrics(SCORES[:, :3], [0, 0, 4], ks=(1,), item_ids=[0, 1, 2]), "labels\\[2\\] holds item 4"),
        (lambda: ranking_metrics(SCORES, [[], [], []], ks=(1,)), "no samples were added"),
        (lambda: ranking_metrics(SCORES, LABELS, ks=(1,), exclude_context_items=True), "needs context_items"),
        (lambda: RankingMetrics(ks=(0,)), "ks must be positive"),
        (lambda: RankingMetrics(multi_label="any"), "multi_label must be"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


score_matrices = st.integers(1, 12).flatmap(
    lambda rows: st.integers(3, 9).flatmap(
        lambda cols: st.tuples(
            st.lists(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=cols, max_size=cols),
                     min_size=rows, max_size=rows),
            st.lists(st.integers(0, cols - 1), min_size=rows, max_size=rows),
        )
    )
)


@settings(max_examples=60, deadline=None)
@given(score_matrices, st.randoms())
def test_properties(data, rng):
    scores, labels = torch.tensor(data[0]), data[1]
    ks = (1, 2, 3)
    result = ranking_metrics(scores, labels, ks=ks)
    for k in ks:  # bounds and the order hit >= ndcg >= mrr
        assert 0 <= result[f"mrr@{k}"] <= result[f"ndcg@{k}"] + 1e-12 <= result[f"hit@{k}"] + 2e-12 <= 1 + 2e-12
    assert result["hit@1"] <= result["hit@2"] <= result["hit@3"]
    # perfect prediction
    perfect = torch.nn.functional.one_hot(torch.tensor(labels), scores.shape[1]).float()
    assert all(v == 1.0 for k, v in ranking_metrics(perfect, labels, ks=ks).items() if k != "n_samples")
    # permutation invariance over rows (ties aside: make scores distinct per row)
    distinct = scores + torch.arange(scores.shape[1]) * 1e-3
    order = list(range(len(labels)))
    rng.shuffle(order)
    assert ranking_metrics(distinct[order], [labels[i] for i in order], ks=ks) == pytest.approx(
        ranking_metrics(distinct, labels, ks=ks))
    # streaming == one-shot, and two "processes" merged == one-shot
    cut = rng.randint(0, len(labels))
    first, second = RankingMetrics(ks), RankingMetrics(ks)
    first.add_batch(distinct[:cut], labels[:cut])
    second.add_batch(distinct[cut:], labels[cut:])
    assert first.merge(second).compute() == pytest.approx(ranking_metrics(distinct, labels, ks=ks))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.125, 5, allow_nan=False, width=32), min_size=4, max_size=12, unique=True), st.data())
def test_agrees_with_torchmetrics_on_single_queries(row, data):
    # Positive scores: torchmetrics 1.9 treats a gold item scored <= 0 as not relevant in its MRR.
    label = data.draw(st.integers(0, len(row) - 1))
    scores = torch.tensor([row])
    target = torch.zeros(len(row), dtype=torch.bool)
    target[label] = True
    ours = ranking_metrics(scores, [label], ks=(1, 3))
    assert ours["hit@3"] == pytest.approx(retrieval_hit_rate(scores[0], target, top_k=3).item())
    assert ours["mrr@3"] == pytest.approx(retrieval_reciprocal_rank(scores[0], target, top_k=3).item())
