"""HRED (Serban et al., "Building End-To-End Dialogue Systems Using Generative Hierarchical Neural Network
Models", AAAI 2016) as ReDial's conversation model builds it in CRSLab (Li et al., NeurIPS 2018), without the
switch to an item placeholder.

The base [`HREDModel`] is the hierarchical encoder (a bidirectional GRU per utterance, then a GRU over the
utterance vectors); [`HREDForConversation`] adds a decoder GRU started from the context state, trained on the
right-shifted response and generating through `GenerationMixin` with its GRU state as the cache. Encoder,
decoder and head logic are ReDial's, kept once in `crs_hf.models.layers.hred`.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from __future__ import annotations

from torch import nn
from transformers.utils import logging

from crs_hf.models.layers import (
    CRSHierarchicalConversationMixin,
    CRSHierarchicalEncoder,
    CRSHierarchicalModelMixin,
    CRSRecurrentDecoder,
    CRSSeq2SeqGenerationMixin,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_hred import HREDConfig

logger = logging.get_logger(__name__)

# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
HRED_INITIALIZED_LAYERS = (CRSHierarchicalEncoder, CRSRecurrentDecoder)


class HREDPreTrainedModel(CRSPreTrainedModel):
    config_class = HREDConfig
    base_model_prefix = "model"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, HRED_INITIALIZED_LAYERS):
            module.reset_parameters()


class HREDModel(CRSHierarchicalModelMixin, HREDPreTrainedModel):
    """The hierarchical encoder: utterance GRU, then context GRU; returns the utterance vectors and the context
    state (`CRSHierarchicalEncoderOutput`)."""

    def __init__(self, config: HREDConfig):
        super().__init__(config)
        self.encoder = CRSHierarchicalEncoder(config)
        self.post_init()


class HREDForConversation(CRSHierarchicalConversationMixin, HREDPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """The hierarchical encoder and a word decoder GRU: `p(w) = softmax(W h_t + b)`, `h_0` the context state."""

    def __init__(self, config: HREDConfig):
        super().__init__(config)
        self.model = HREDModel(config)
        self.decoder = CRSRecurrentDecoder(config)
        self.post_init()


__all__ = ["HREDForConversation", "HREDModel", "HREDPreTrainedModel"]
