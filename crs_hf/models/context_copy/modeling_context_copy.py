"""ContextCopy: recommend again what the context already mentioned, most recent first, then the popular items.

Re-evaluations of ReDial found that many gold items were already mentioned earlier in the dialog, which inflates
Recall@k of models that may rank them; this baseline uses nothing else, so its numbers show how much a repeat is
worth (compare `rec_*` with the trainer's `rec_*_masked`, which leaves mentioned items out). With `m_i` the index
in `context_item_positions` of the latest mention of item i, and log p_i the smoothed popularity
(`crs_hf.models.layers.popularity`, counted by `observe()`):

    rec_logits[b, i] = 1 + m_i   if item i was mentioned in row b,   else log p_i   (< 0)

so every mentioned item outranks every other one. The loss is the cross-entropy of these scores, which are ranks
more than log-probabilities: it compares between ContextCopy runs only. Nothing requires a gradient.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers.item_sequence import check_item_positions, check_rec_labels
from crs_hf.models.layers.popularity import CRSCountingModelMixin, CRSItemPopularity
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_context_copy import ContextCopyConfig

logger = logging.get_logger(__name__)


def latest_mentions(context_item_positions: torch.LongTensor, n_items: int) -> torch.LongTensor:
    """`(batch, n_items)`: the index in `context_item_positions` `(batch, length)` (padded with -1) of the latest
    mention of each item, -1 where it was not mentioned."""
    batch, length = context_item_positions.shape
    columns = context_item_positions.masked_fill(context_item_positions < 0, n_items)  # padding -> a spare column
    latest = context_item_positions.new_full((batch, n_items + 1), -1)
    order = torch.arange(length, device=columns.device).expand(batch, -1)
    latest.scatter_reduce_(1, columns, order, reduce="amax")
    return latest[:, :n_items]


@dataclass
class ContextCopyModelOutput(ModelOutput):
    """
    Args:
        item_scores (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            `1 + m_i` for mentioned items (`m_i` the index of the latest mention), log p_i for the others.
        latest_mentions (`torch.LongTensor` of shape `(batch_size, n_items)`):
            `m_i`, -1 where the item was not mentioned.
    """

    item_scores: torch.FloatTensor | None = None
    latest_mentions: torch.LongTensor | None = None


@dataclass
class ContextCopyRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            The item scores: mentioned items first (most recent highest), then by popularity.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None


class ContextCopyPreTrainedModel(CRSCountingModelMixin, CRSPreTrainedModel):
    """No weights: the counts are a buffer, zeroed at initialisation and filled by `observe()`
    (`CRSCountingModelMixin`)."""

    config_class = ContextCopyConfig
    base_model_prefix = "model"
    main_input_name = "context_item_positions"


class ContextCopyModel(ContextCopyPreTrainedModel):
    """The popularity counts and the copy-the-context ranking."""

    def __init__(self, config: ContextCopyConfig):
        super().__init__(config)
        self.popularity = CRSItemPopularity(config)
        self.post_init()

    def forward(self, context_item_positions: torch.LongTensor) -> ContextCopyModelOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`):
            Catalogue positions of the items mentioned so far, in dialog order, padded with -1.
        """
        check_item_positions("context_item_positions", context_item_positions, self.config.n_items)
        latest = latest_mentions(context_item_positions, self.config.n_items)
        log_probabilities = self.popularity.log_probabilities()
        scores = torch.where(latest >= 0, (latest + 1).float(), log_probabilities)
        return ContextCopyModelOutput(item_scores=scores, latest_mentions=latest)


class ContextCopyForRecommendation(ContextCopyPreTrainedModel):
    """Ranks the mentioned items first, most recent first, then the others by popularity; `observe()` counts a
    training batch's gold items."""

    def __init__(self, config: ContextCopyConfig):
        super().__init__(config)
        self.model = ContextCopyModel(config)
        self.post_init()

    def forward(self, context_item_positions: torch.LongTensor, rec_labels: torch.LongTensor | None = None
                ) -> ContextCopyRecommendationOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`):
            Catalogue positions of the items mentioned so far, in dialog order, padded with -1.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Catalogue position of the gold item; -100 is ignored.
        """
        rec_logits = self.model(context_item_positions).item_scores
        loss = None
        if rec_labels is not None:
            check_rec_labels(rec_labels, self.config.n_items, rec_logits.shape[0])
            loss = nn.functional.cross_entropy(rec_logits, rec_labels, ignore_index=-100)
        return ContextCopyRecommendationOutput(loss=loss, rec_logits=rec_logits)


__all__ = ["ContextCopyForRecommendation", "ContextCopyModel", "ContextCopyPreTrainedModel"]
