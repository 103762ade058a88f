"""Item sequences of the sequential recommenders (GRU4Rec, SASRec), built from catalogue positions, and CRSLab's
training objective for them: next-item targets with one sampled negative each, scored by binary cross-entropy.

A batch gives `context_item_positions` `(batch, L)` (the items mentioned so far, in dialog order) and, on
TG-ReDial, `history_item_positions` `(batch, H)` (the user's earlier interactions), both catalogue positions
`0..n_items-1` padded with -1. As CRSLab's `TGReDialDataLoader._process_history`, a user's sequence is the
history followed by the context, cut to its most recent `max_length` items; the embedding tables of these models
have `n_items + 1` rows, the last one (index `n_items`) the padding item (CRSLab's entity id 0).

CRSLab's objective (`cross_entropy` of `crslab/model/recommendation/{gru4rec,sasrec}`): the state after item j
targets item j+1 and the state after the last item the gold item; each target t gets a negative n drawn from the
items not in the sequence, and

    loss = mean over targets of  -log sigmoid(h . e_t) - log(1 - sigmoid(h . e_n)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput

__all__ = [
    "SEQUENTIAL_DIFFERENCES_FROM_CRSLAB",
    "CRSItemSequence",
    "CRSSequenceModelOutput",
    "CRSSequentialRecommendationOutput",
    "CRSSequentialRecommenderMixin",
    "check_item_positions",
    "check_rec_labels",
    "item_sequences",
    "next_item_targets",
    "sample_negative_items",
    "sampled_binary_cross_entropy",
]

# Model-card lines GRU4Rec and SASRec share (`CRSModelSpec.differences_from_crslab`).
SEQUENTIAL_DIFFERENCES_FROM_CRSLAB = (
    "items are catalogue positions (an embedding table of `n_items` + 1 rows, the last one the padding item) "
    "and `rec_logits` cover the catalogue; CRSLab embedded and scored every entity id",
    "each target's negative is drawn from the catalogue items not in the sequence (CRSLab: any entity id not in "
    "it) inside `forward` (from a fixed seed in eval mode, or given as `negative_item_positions`) instead of in "
    "the dataloader; an empty sequence's gold item gets a drawn negative (CRSLab's was the padding id)",
    "`loss_type=\"cross_entropy\"` (softmax over the catalogue of the last output's scores) is an option; the "
    "default `\"bce\"` is CRSLab's sampled binary cross-entropy over every next-item target",
)


def check_item_positions(name: str, positions: torch.Tensor | None, n_items: int, batch_size: int | None = None
                         ) -> None:
    """`positions` must be `(batch, length)` catalogue positions in `[0, n_items)` or -1 (padding), with
    `batch_size` rows when given; a `ValueError` names what is wrong."""
    if positions is None or positions.dim() != 2:
        shape = None if positions is None else tuple(positions.shape)
        raise ValueError(f"{name} must be (batch, length) catalogue positions padded with -1, but got {shape}")
    if batch_size is not None and positions.shape[0] != batch_size:
        raise ValueError(f"{name} has {positions.shape[0]} rows, but the batch has {batch_size}")
    if positions.numel() and (positions.min() < -1 or positions.max() >= n_items):
        bad = positions[(positions < -1) | (positions >= n_items)]
        raise ValueError(f"{name} must hold catalogue positions in [0, n_items={n_items}) or -1 (padding), "
                         f"but got {bad[:5].tolist()}")


def check_rec_labels(rec_labels: torch.Tensor, n_items: int, batch_size: int | None = None) -> None:
    """`rec_labels` must be `(batch,)` catalogue positions in `[0, n_items)` or -100 (ignored)."""
    if rec_labels.dim() != 1 or (batch_size is not None and rec_labels.shape[0] != batch_size):
        raise ValueError(f"rec_labels must be ({batch_size or 'batch'},) catalogue positions, "
                         f"but got shape {tuple(rec_labels.shape)}")
    bad = rec_labels[(rec_labels != -100) & ((rec_labels < 0) | (rec_labels >= n_items))]
    if bad.numel():
        raise ValueError(f"rec_labels must be catalogue positions in [0, n_items={n_items}) or -100 (ignored), "
                         f"but got {bad[:5].tolist()}")


@dataclass
class CRSItemSequence:
    """A batch of item sequences.

    Args:
        ids (`torch.LongTensor` of shape `(batch_size, width)`): catalogue positions, `n_items` at padding.
        mask (`torch.BoolTensor` of shape `(batch_size, width)`): True at items.
        last (`torch.LongTensor` of shape `(batch_size,)`): the column of each sequence's last item, whose state
            scores the catalogue (for an empty sequence, the padding column the model reads instead).
    """

    ids: torch.LongTensor
    mask: torch.BoolTensor
    last: torch.LongTensor


def item_sequences(
    context_item_positions: torch.LongTensor,
    history_item_positions: torch.LongTensor | None,
    n_items: int,
    max_length: int,
    left_aligned: bool,
    width: int | None = None,
) -> CRSItemSequence:
    """History then context, padding removed, the most recent `max_length` items kept, laid out right-padded
    (`left_aligned=True`, GRU4Rec) or left-padded (`left_aligned=False`, SASRec, whose last item then always sits in
    the last column, as in CRSLab). `width` defaults to the longest kept sequence (at least 1). A `ValueError` names
    an input that is not catalogue positions padded with -1."""
    check_item_positions("context_item_positions", context_item_positions, n_items)
    if history_item_positions is not None:
        check_item_positions("history_item_positions", history_item_positions, n_items,
                             context_item_positions.shape[0])
    items = context_item_positions
    if history_item_positions is not None:
        items = torch.cat([history_item_positions, items], dim=1)
    if items.shape[1] == 0:
        items = items.new_full((items.shape[0], 1), -1)
    present = items >= 0
    order = torch.sort((~present).to(torch.int8), dim=1, stable=True).indices  # items first, in dialog order
    compact = items.gather(1, order)
    lengths = present.sum(1, keepdim=True)
    kept = lengths.clamp(max=max_length)
    if width is None:
        width = max(1, int(kept.max())) if kept.numel() else 1
    columns = torch.arange(width, device=items.device)
    if left_aligned:
        source, mask = lengths - kept + columns, columns < kept
        last = (kept.squeeze(1) - 1).clamp(min=0)
    else:
        source, mask = lengths - width + columns, columns >= width - kept
        last = torch.full_like(lengths.squeeze(1), width - 1)
    ids = compact.gather(1, source.clamp(0, items.shape[1] - 1))
    return CRSItemSequence(ids=ids.masked_fill(~mask, n_items), mask=mask, last=last)


def next_item_targets(sequence: CRSItemSequence, rec_labels: torch.LongTensor) -> torch.LongTensor:
    """`(batch, width)` targets: the next item after each item, the gold item at `sequence.last` (CRSLab's
    `target_pos = input_ids[1:] + [item]`), -100 elsewhere."""
    ids, mask = sequence.ids, sequence.mask
    targets = torch.full_like(ids, -100)
    follows = mask[:, :-1] & mask[:, 1:]
    targets[:, :-1] = torch.where(follows, ids[:, 1:], -100)
    rows = torch.arange(ids.shape[0], device=ids.device)
    targets[rows, sequence.last] = rec_labels
    return targets


def sample_negative_items(sequence: CRSItemSequence, n_items: int, generator: torch.Generator | None = None
                          ) -> torch.LongTensor:
    """`(batch, width)` catalogue positions drawn uniformly from the items not in each row's sequence (CRSLab's
    `_neg_sample`); a sequence covering the whole catalogue gets its last item."""
    batch, width = sequence.ids.shape
    allowed = torch.ones(batch, n_items + 1, dtype=torch.bool, device=sequence.ids.device)
    allowed.scatter_(1, sequence.ids, False)
    cumulative = allowed[:, :n_items].long().cumsum(1)
    draws = torch.rand(batch, width, generator=generator, device=sequence.ids.device)
    ranks = (draws * cumulative[:, -1:]).long()  # the rank-th allowed item, 0-based
    return torch.searchsorted(cumulative, ranks + 1).clamp(max=n_items - 1)


def sampled_binary_cross_entropy(states: torch.Tensor, item_embeddings: torch.Tensor, targets: torch.LongTensor,
                                 negatives: torch.LongTensor) -> torch.Tensor:
    """CRSLab's loss: mean over positions with a target of `-log s(h . e_target) - log(1 - s(h . e_negative))`.

    `states` `(batch, width, dim)`, `item_embeddings` `(n_items + 1, dim)`, `targets` / `negatives` `(batch, width)`
    (targets -100 where there is none). CRSLab adds 1e-24 inside the logs; `logsigmoid` computes the same stably.
    """
    is_target = targets != -100
    hidden = states[is_target].float()
    positive = (hidden * item_embeddings[targets[is_target]].float()).sum(-1)
    negative = (hidden * item_embeddings[negatives[is_target]].float()).sum(-1)
    return -(nn.functional.logsigmoid(positive) + nn.functional.logsigmoid(-negative)).mean()


@dataclass
class CRSSequenceModelOutput(ModelOutput):
    """
    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`):
            The encoder's output at every column of the sequence (GRU4Rec: right-padded to the longest sequence,
            zero after each end; SASRec: left-padded to `max_seq_length`).
        sequence_embedding (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The output at the last item (column `item_sequence.last`), which scores the catalogue.
        item_sequence (`CRSItemSequence`):
            The sequence read: history then context items, `n_items` at padding.
    """

    last_hidden_state: torch.FloatTensor | None = None
    sequence_embedding: torch.FloatTensor | None = None
    item_sequence: CRSItemSequence | None = None


@dataclass
class CRSSequentialRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            `config.loss_type`: CRSLab's sampled binary cross-entropy over the next-item targets (`"bce"`), or the
            cross-entropy of `rec_logits` against `rec_labels` (`"cross_entropy"`); -100 labels are ignored.
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every catalogue item: `sequence_embedding . item_embedding`.
        sequence_embedding (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The output at the last item, which the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    sequence_embedding: torch.FloatTensor | None = None


class CRSSequentialRecommenderMixin:
    """The `forward` of a sequential recommender head (GRU4Rec, SASRec): `self.model` is its base model, which
    returns a `CRSSequenceModelOutput` and whose `get_input_embeddings()` are the `n_items + 1` item embeddings.
    Reads `config.n_items` and `config.loss_type`."""

    def forward(
        self,
        context_item_positions: torch.LongTensor,
        history_item_positions: torch.LongTensor | None = None,
        rec_labels: torch.LongTensor | None = None,
        negative_item_positions: torch.LongTensor | None = None,
    ) -> CRSSequentialRecommendationOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`):
            Catalogue positions of the items mentioned so far, in dialog order, padded with -1.
        history_item_positions (`torch.LongTensor` of shape `(batch_size, num_history_items)`, *optional*):
            Catalogue positions of the user's earlier interactions (TG-ReDial), padded with -1.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Catalogue position of the gold item; -100 is ignored.
        negative_item_positions (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
            The negative item of each position of the sequence (`loss_type="bce"`); drawn from the items not in the
            sequence when not given, from a fixed seed in eval mode so that validation losses compare.

        `rec_logits` `(batch, n_items)` are `sequence_embedding . e_i`; the loss is `config.loss_type`: `"bce"`
        (CRSLab's, see the module docstring) or `"cross_entropy"` (softmax over the catalogue of `rec_logits`).
        """
        outputs = self.model(context_item_positions, history_item_positions)
        item_embeddings = self.model.get_input_embeddings().weight
        rec_logits = outputs.sequence_embedding @ item_embeddings[: self.config.n_items].t()
        loss = None
        if rec_labels is not None:
            loss = self._loss(outputs, item_embeddings, rec_logits, rec_labels, negative_item_positions)
        return CRSSequentialRecommendationOutput(loss=loss, rec_logits=rec_logits,
                                                 sequence_embedding=outputs.sequence_embedding)

    def _loss(self, outputs, item_embeddings, rec_logits, rec_labels, negative_item_positions) -> torch.Tensor:
        check_rec_labels(rec_labels, self.config.n_items, rec_logits.shape[0])
        if self.config.loss_type == "cross_entropy":
            return nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        sequence = outputs.item_sequence
        if negative_item_positions is None:
            generator = None if self.training else torch.Generator(device=sequence.ids.device).manual_seed(0)
            negative_item_positions = sample_negative_items(sequence, self.config.n_items, generator)
        elif negative_item_positions.shape != sequence.ids.shape:
            raise ValueError(f"negative_item_positions must have the sequence's shape {tuple(sequence.ids.shape)}, "
                             f"but got {tuple(negative_item_positions.shape)}")
        targets = next_item_targets(sequence, rec_labels)
        return sampled_binary_cross_entropy(outputs.last_hidden_state, item_embeddings, targets,
                                            negative_item_positions)
