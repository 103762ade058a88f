"""Popularity: the item catalogue ranked by how often each item was a gold item in training, as CRSLab's
`crslab/model/recommendation/popularity/popularity.py` ranks it by counting.

Training is one pass of `observe(rec_labels)` over the training batches; the scores are the log of the smoothed
popularity distribution (see `crs_hf.models.layers.popularity`), the same for every context:

    rec_logits[b, i] = log p_i,    loss = mean_b -log p_{rec_labels[b]}

(the cross-entropy of `rec_logits`, since they are already log-probabilities), so its validation loss compares
with the other recommenders'. Nothing requires a gradient.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers.item_sequence import check_rec_labels
from crs_hf.models.layers.popularity import CRSCountingModelMixin, CRSItemPopularity, batch_size_of
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_popularity import PopularityConfig

logger = logging.get_logger(__name__)


@dataclass
class PopularityModelOutput(ModelOutput):
    """
    Args:
        item_log_probabilities (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            log p_i of the smoothed popularity distribution, repeated for every row.
    """

    item_log_probabilities: torch.FloatTensor | None = None


@dataclass
class PopularityRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            log p_i of every catalogue item.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None


class PopularityPreTrainedModel(CRSCountingModelMixin, CRSPreTrainedModel):
    """No weights: the counts are a buffer, zeroed at initialisation and filled by `observe()`
    (`CRSCountingModelMixin`)."""

    config_class = PopularityConfig
    base_model_prefix = "model"
    main_input_name = "context_item_positions"


class PopularityModel(PopularityPreTrainedModel):
    """The gold-item counts and their smoothed log-probabilities."""

    def __init__(self, config: PopularityConfig):
        super().__init__(config)
        self.popularity = CRSItemPopularity(config)
        self.post_init()

    def forward(self, context_item_positions: torch.LongTensor | None = None, batch_size: int | None = None
                ) -> PopularityModelOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`, *optional*):
            Read only for the batch size (the scores do not depend on the context).
        batch_size (`int`, *optional*):
            The number of rows, when `context_item_positions` is not given.
        """
        if context_item_positions is not None:
            batch_size = context_item_positions.shape[0]
        if batch_size is None:
            raise ValueError("PopularityModel needs context_item_positions or batch_size for the number of rows")
        log_probabilities = self.popularity.log_probabilities()
        return PopularityModelOutput(item_log_probabilities=log_probabilities.expand(batch_size, -1).contiguous())


class PopularityForRecommendation(PopularityPreTrainedModel):
    """Scores every catalogue item by its log-popularity; `observe()` counts a training batch's gold items."""

    def __init__(self, config: PopularityConfig):
        super().__init__(config)
        self.model = PopularityModel(config)
        self.post_init()

    def forward(self, rec_labels: torch.LongTensor | None = None,
                context_item_positions: torch.LongTensor | None = None) -> PopularityRecommendationOutput:
        r"""
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Catalogue position of the gold item; -100 is ignored.
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`, *optional*):
            Read only for the batch size; without it, the batch size is that of `rec_labels`.
        """
        batch_size = batch_size_of(context_item_positions, rec_labels)
        rec_logits = self.model(batch_size=batch_size).item_log_probabilities
        loss = None
        if rec_labels is not None:
            check_rec_labels(rec_labels, self.config.n_items, batch_size)
            loss = nn.functional.cross_entropy(rec_logits, rec_labels.to(rec_logits.device), ignore_index=-100)
        return PopularityRecommendationOutput(loss=loss, rec_logits=rec_logits)


__all__ = ["PopularityForRecommendation", "PopularityModel", "PopularityPreTrainedModel"]
