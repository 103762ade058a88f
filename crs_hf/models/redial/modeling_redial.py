"""ReDial (Li et al., "Towards Deep Conversational Recommendations", NeurIPS 2018), as CRSLab builds it.

Two separate models, as in CRSLab: [`ReDialForRecommendation`], an AutoRec over the entities mentioned in the
context that scores the item catalogue, and [`ReDialForConversation`], a hierarchical recurrent encoder-decoder
(HRED, the base [`ReDialModel`]) whose decoder has ReDial's switch between words and an item placeholder token.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import (
    CRSAutoRec,
    CRSHierarchicalConversationMixin,
    CRSHierarchicalConversationOutput,
    CRSHierarchicalEncoder,
    CRSHierarchicalEncoderOutput,
    CRSHierarchicalModelMixin,
    CRSRecurrentDecoder,
    CRSSeq2SeqGenerationMixin,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_redial import ReDialConfig

logger = logging.get_logger(__name__)


ReDialModelOutput = CRSHierarchicalEncoderOutput  # last_hidden_state, context_state


@dataclass
class ReDialRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            AutoRec score of every item of the catalogue (`config.item_ids` order).
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None


ReDialConversationOutput = CRSHierarchicalConversationOutput  # loss, logits, past_key_values, context_state


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
REDIAL_INITIALIZED_LAYERS = (CRSAutoRec, CRSHierarchicalEncoder, CRSRecurrentDecoder)


class ReDialPreTrainedModel(CRSPreTrainedModel):
    config_class = ReDialConfig
    base_model_prefix = "model"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, REDIAL_INITIALIZED_LAYERS):
            module.reset_parameters()


class ReDialModel(CRSHierarchicalModelMixin, ReDialPreTrainedModel):
    """The hierarchical encoder: utterance GRU, then context GRU (`forward` from `CRSHierarchicalModelMixin`)."""

    def __init__(self, config: ReDialConfig):
        super().__init__(config)
        self.encoder = CRSHierarchicalEncoder(config)
        self.post_init()


class ReDialForRecommendation(ReDialPreTrainedModel):
    """AutoRec over the context entities (CRSLab's `ReDialRecModel`)."""

    main_input_name = "context_entities"

    def __init__(self, config: ReDialConfig):
        super().__init__(config)
        self.autorec = CRSAutoRec(config)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor, rec_labels: torch.LongTensor | None = None
                ) -> ReDialRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context (CRSLab: items and other entities), padded with `pad_entity_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`); -100 is ignored.
        """
        rec_logits = self.autorec(context_entities)
        loss = None
        if rec_labels is not None:
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return ReDialRecommendationOutput(loss=loss, rec_logits=rec_logits)


class ReDialForConversation(CRSHierarchicalConversationMixin, ReDialPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """HRED with ReDial's switching decoder (`config.item_token_id`), trained on the right-shifted response;
    `forward` and `generate()` come from `CRSHierarchicalConversationMixin` (shared with `crs_hred`)."""

    def __init__(self, config: ReDialConfig):
        super().__init__(config)
        self.model = ReDialModel(config)
        self.decoder = CRSRecurrentDecoder(config, item_token_id=config.item_token_id)
        self.post_init()


__all__ = [
    "ReDialForConversation",
    "ReDialForRecommendation",
    "ReDialModel",
    "ReDialPreTrainedModel",
]
