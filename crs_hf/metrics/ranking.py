r"""Ranking metrics for recommendation and policy: Hit@k, MRR@k, NDCG@k (and set recall@k), vectorised.

One `torch.topk` per batch gives a (samples, max_k) hit matrix; every @k is read from it at once. With the 0-based
rank :math:`r` of the gold item among the top-k (absent = miss):

.. math::
    \mathrm{Hit@k} = [r < k], \qquad \mathrm{MRR@k} = \frac{[r < k]}{r + 1}, \qquad
    \mathrm{NDCG@k} = \frac{[r < k]}{\log_2(r + 2)}

(NDCG with a single relevant item, whose ideal DCG is 1.) Hit@k equals Recall@k when a sample has one gold item.
Several gold items per turn are counted as CRSLab does, one sample per gold item (`multi_label="per_item"`), or
per turn with the set recall :math:`|G \cap \mathrm{top}_k| / |G|` (`multi_label="set"`; hit@k is then "any gold
item in the top k", MRR/NDCG use the best-ranked gold item).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from crs_hf.metrics.streaming import StreamingMetric

__all__ = ["PolicyMetrics", "RankingMetrics", "ranking_metrics", "top_k_items"]

Labels = torch.Tensor | Sequence[int] | Sequence[Sequence[int]]


def _as_label_lists(labels: Labels, batch: int) -> list[list[int]]:
    if isinstance(labels, torch.Tensor):
        labels = labels.tolist()
    labels = [list(label) if isinstance(label, (list, tuple)) else [int(label)] for label in labels]
    if len(labels) != batch:
        raise ValueError(f"scores has {batch} rows but labels has {len(labels)} entries; expected one entry per row")
    return labels


def _catalogue_positions(item_ids: torch.Tensor | Sequence[int] | None, n_columns: int) -> dict[int, int] | None:
    if item_ids is None:
        return None
    ids = item_ids.tolist() if isinstance(item_ids, torch.Tensor) else list(item_ids)
    if len(set(ids)) != len(ids):
        raise ValueError("item_ids holds duplicates; expected each catalogue item once")
    if ids and (min(ids) < 0 or max(ids) >= n_columns):
        raise ValueError(f"item_ids must index the {n_columns} score columns, got ids in [{min(ids)}, {max(ids)}]")
    return {item: position for position, item in enumerate(ids)}


def top_k_items(
    scores: torch.Tensor,
    k: int,
    item_ids: torch.Tensor | Sequence[int] | None = None,
    exclude: Sequence[Sequence[int]] | None = None,
) -> torch.Tensor:
    """The ids of the `k` best-scored items per row.

    Args:
        scores: (batch, n) scores over all entities (or over the catalogue if `item_ids` is None).
        k: how many items to return per row; at most the catalogue size.
        item_ids: the catalogue as column ids of `scores`; ranking is over these columns only.
        exclude: per row, item ids that may not be recommended (e.g. those already mentioned in the context).

    Returns:
        (batch, k) long tensor of item ids (column ids of `scores`).
    """
    positions = _catalogue_positions(item_ids, scores.shape[-1])
    catalogue = scores if item_ids is None else scores[:, torch.as_tensor(list(positions), dtype=torch.long)]
    if not 1 <= k <= catalogue.shape[-1]:
        raise ValueError(f"k={k} must be between 1 and the catalogue size {catalogue.shape[-1]}")
    catalogue = catalogue.float()
    if exclude is not None:
        catalogue = catalogue.clone()
        rows, cols = [], []
        for row, items in enumerate(exclude):
            for item in items:
                col = item if positions is None else positions.get(item)
                if col is not None and 0 <= col < catalogue.shape[-1]:
                    rows.append(row)
                    cols.append(col)
        catalogue[rows, cols] = float("-inf")
    top = torch.topk(catalogue, k, dim=-1).indices
    if item_ids is None:
        return top
    return torch.as_tensor(list(positions), dtype=torch.long)[top]


class RankingMetrics(StreamingMetric):
    """Streaming Hit@k / MRR@k / NDCG@k / Recall@k over batches of (scores, gold items).

    Args:
        ks: cut-offs, default (1, 10, 50).
        item_ids: the item catalogue as column ids of the score matrix (default: every column is an item).
        multi_label: `"per_item"` (one sample per gold item, CRSLab's protocol) or `"set"` (one sample per turn).
        exclude_context_items: mask items mentioned in the context before ranking, and drop gold items that were
            already mentioned (a repeated item is not a recommendation); the number of samples shrinks accordingly.

    Example:
        >>> metric = RankingMetrics(ks=(1, 2))
        >>> metric.add_batch(torch.tensor([[0.1, 0.9, 0.3], [0.8, 0.1, 0.5]]), labels=[2, 0])
        >>> {k: round(v, 3) for k, v in metric.compute().items()}
        {'hit@1': 0.5, 'mrr@1': 0.5, 'ndcg@1': 0.5, 'recall@1': 0.5, 'hit@2': 1.0, 'mrr@2': 0.75, 'ndcg@2': 0.815, 'recall@2': 1.0, 'n_samples': 2.0}
    """

    def __init__(
        self,
        ks: Sequence[int] = (1, 10, 50),
        item_ids: torch.Tensor | Sequence[int] | None = None,
        multi_label: str = "per_item",
        exclude_context_items: bool = False,
    ) -> None:
        if not ks or any(int(k) < 1 for k in ks):
            raise ValueError(f"ks must be positive cut-offs, got {ks!r}")
        if multi_label not in ("per_item", "set"):
            raise ValueError(f"multi_label must be 'per_item' or 'set', got {multi_label!r}")
        self.ks = sorted({int(k) for k in ks})
        self.item_ids = item_ids
        self.multi_label = multi_label
        self.exclude_context_items = exclude_context_items
        super().__init__()

    def add_batch(
        self, scores: torch.Tensor, labels: Labels, context_items: Sequence[Sequence[int]] | None = None
    ) -> None:
        """Adds one batch.

        Args:
            scores: (batch, n) scores.
            labels: per row one gold item id or a list of them (an empty list contributes nothing).
            context_items: per row the item ids mentioned in the context; needed if `exclude_context_items`.
        """
        if scores.dim() != 2:
            raise ValueError(f"scores must be (batch, n_items), got shape {tuple(scores.shape)}")
        labels = _as_label_lists(labels, scores.shape[0])
        positions = _catalogue_positions(self.item_ids, scores.shape[-1])
        catalogue = range(scores.shape[-1]) if positions is None else positions
        if self.ks[-1] > len(catalogue):
            raise ValueError(f"k={self.ks[-1]} is larger than the catalogue ({len(catalogue)} items)")
        for row, gold in enumerate(labels):
            for item in gold:
                if item not in catalogue:
                    raise ValueError(f"labels[{row}] holds item {item}, which is not in the item catalogue")
        labels, exclude = self._drop_context_items(labels, context_items)
        self._add_ranked_rows(top_k_items(scores, self.ks[-1], self.item_ids, exclude), labels)

    def add_ranked(
        self,
        ranked: torch.Tensor | Sequence[Sequence[int]],
        labels: Labels,
        context_items: Sequence[Sequence[int]] | None = None,
    ) -> None:
        """Adds a batch given as ranked item ids (best first, at least max(ks) per row), e.g. the top-k kept by
        `preprocess_logits_for_metrics`. With `exclude_context_items`, context items are removed from each list
        before the cut-offs apply (so keep some slack beyond max(ks))."""
        rows = ranked.tolist() if isinstance(ranked, torch.Tensor) else [list(r) for r in ranked]
        labels = _as_label_lists(labels, len(rows))
        labels, exclude = self._drop_context_items(labels, context_items)
        if exclude is not None:
            rows = [[item for item in row if item not in set(seen)] for row, seen in zip(rows, exclude)]
        width = self.ks[-1]
        short = [i for i, row in enumerate(rows) if len(row) < width and exclude is None]
        if short:
            raise ValueError(f"ranked[{short[0]}] has {len(rows[short[0]])} items but the largest cut-off is k={width}")
        padded = torch.full((len(rows), width), -1, dtype=torch.long)
        for i, row in enumerate(rows):
            padded[i, : min(width, len(row))] = torch.as_tensor(row[:width], dtype=torch.long)
        self._add_ranked_rows(padded, labels)

    def _drop_context_items(self, labels: list[list[int]], context_items) -> tuple[list[list[int]], Sequence | None]:
        if not self.exclude_context_items:
            return labels, None
        if context_items is None or len(context_items) != len(labels):
            raise ValueError("exclude_context_items=True needs context_items, one list per row")
        kept = [[item for item in gold if item not in set(seen)] for gold, seen in zip(labels, context_items)]
        return kept, context_items

    def _add_ranked_rows(self, top: torch.Tensor, labels: list[list[int]]) -> None:
        rows = [row for row, gold in enumerate(labels) for _ in gold]
        if not rows:
            return
        flat_gold = torch.tensor([item for gold in labels for item in gold], dtype=torch.long)
        hits = top[rows] == flat_gold[:, None]  # (gold items, K): where each gold item was ranked
        if self.multi_label == "per_item":
            self._add_samples(hits, hits.float())
        else:
            sizes = torch.tensor([len(gold) for gold in labels if gold])
            turn = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
            per_turn = torch.zeros(len(sizes), hits.shape[1]).index_add_(0, turn, hits.float())  # (turns, K)
            self._add_samples(per_turn > 0, per_turn / sizes[:, None])

    def _add_samples(self, hit_matrix: torch.Tensor, recall_matrix: torch.Tensor) -> None:
        """`hit_matrix` (samples, K): True where a gold item sits at that rank; `recall_matrix`: its share of the gold set."""
        ranks = torch.arange(hit_matrix.shape[1], dtype=torch.float64)
        first = torch.where(hit_matrix.any(dim=1), hit_matrix.float().argmax(dim=1), hit_matrix.shape[1])
        cumulative_recall = recall_matrix.double().cumsum(dim=1)
        for k in self.ks:
            hit = first < k
            first_rank = ranks[first.clamp(max=hit_matrix.shape[1] - 1)]
            self._add(f"hit@{k}", hit.sum().item())
            self._add(f"mrr@{k}", torch.where(hit, 1.0 / (first_rank + 1), 0.0).sum().item())
            self._add(f"ndcg@{k}", torch.where(hit, 1.0 / torch.log2(first_rank + 2), 0.0).sum().item())
            self._add(f"recall@{k}", cumulative_recall[:, k - 1].sum().item())
        self._add("n_samples", hit_matrix.shape[0])

    def compute(self) -> dict[str, float]:
        """Means over every sample added so far (sums / count), plus `n_samples`."""
        count = self.sums.get("n_samples", 0.0)
        if count == 0:
            raise ValueError("no samples were added (or every gold item was excluded); nothing to compute")
        result = {name: self.sums[name] / count for k in self.ks for name in (f"hit@{k}", f"mrr@{k}", f"ndcg@{k}", f"recall@{k}")}
        result["n_samples"] = count
        return result


def ranking_metrics(
    scores: torch.Tensor,
    labels: Labels,
    ks: Sequence[int] = (1, 10, 50),
    item_ids: torch.Tensor | Sequence[int] | None = None,
    context_items: Sequence[Sequence[int]] | None = None,
    exclude_context_items: bool = False,
    multi_label: str = "per_item",
) -> dict[str, float]:
    """One-shot `RankingMetrics` (see there for the arguments)."""
    metric = RankingMetrics(ks, item_ids, multi_label, exclude_context_items)
    metric.add_batch(scores, labels, context_items)
    return metric.compute()


class PolicyMetrics(RankingMetrics):
    """Policy (next goal / topic) prediction over class scores: accuracy and hit@1/3/5, plus MRR@k / NDCG@k as
    CRSLab's `policy_evaluate` computes them (ranking over every class, no catalogue).

    Example:
        >>> metric = PolicyMetrics()
        >>> metric.add_batch(torch.tensor([[0.1, 0.7, 0.2, 0.0, 0.0, 0.0], [0.5, 0.1, 0.2, 0.1, 0.05, 0.05]]), [1, 2])
        >>> {k: v for k, v in metric.compute().items() if k in ("accuracy", "hit@1", "hit@3")}
        {'hit@1': 0.5, 'hit@3': 1.0, 'accuracy': 0.5}
    """

    def __init__(self, ks: Sequence[int] = (1, 3, 5)) -> None:
        super().__init__(ks=sorted({1, *ks}), multi_label="per_item")

    def compute(self) -> dict[str, float]:
        result = super().compute()
        result["accuracy"] = result["hit@1"]
        return result
