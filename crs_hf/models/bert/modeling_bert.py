"""The BERT recommender (Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", NAACL 2019), as CRSLab's `crslab/model/recommendation/bert/bert.py` builds it.

A pretrained encoder reads the context subwords; its pooled output (BERT's `pooler_output`, `tanh(W h_[CLS] + b)`,
as CRSLab) goes through a linear layer over the item catalogue:

    u = pooler_output(encoder(input_ids, attention_mask)),    rec_logits = u W^T + b

The encoder is any `transformers.AutoModel` encoder, built from `config.encoder_config`. A new model is random
until `set_backbone(name_or_path)` loads pretrained weights (and records their config, so that `from_pretrained`
of a saved model rebuilds the encoder from `config.json` alone).

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers.item_sequence import check_rec_labels
from crs_hf.models.modeling_utils import CRSPreTrainedModel
from crs_hf.models.textcnn.modeling_textcnn import check_token_ids

from .configuration_bert import CRSBertConfig, check_encoder_config

logger = logging.get_logger(__name__)


@dataclass
class CRSBertModelOutput(ModelOutput):
    """
    Args:
        pooler_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The context vector: the encoder's `pooler_output` or its first token's last hidden state
            (`config.pooling`).
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, hidden_size)`):
            The encoder's last hidden states.
    """

    pooler_output: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None


@dataclass
class CRSBertRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue.
        pooler_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`):
            The context vector the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None


class CRSBertPreTrainedModel(CRSPreTrainedModel):
    """The encoder is a `PreTrainedModel` of its own, which `post_init` initialises with its own `_init_weights`;
    the output layer is an `nn.Linear`, which the base `_init_weights` covers."""

    config_class = CRSBertConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    _supports_sdpa = True  # an `attn_implementation` request passes on to the encoder, which checks its own support
    _supports_flash_attn = True
    _supports_flex_attn = True

    def set_backbone(self, name_or_path: str, **from_pretrained_kwargs) -> None:
        """Replaces the encoder by `AutoModel.from_pretrained(name_or_path, **from_pretrained_kwargs)` and records
        its config (`config.encoder_config`) and origin (`config.backbone_name_or_path`). Call it on a new model."""
        backbone = AutoModel.from_pretrained(name_or_path, **from_pretrained_kwargs)
        check_encoder_config(backbone.config)
        self.config.encoder_config = backbone.config
        self.config.backbone_name_or_path = str(name_or_path)
        self.base_model.backbone = backbone.to(self.device)


class CRSBertModel(CRSBertPreTrainedModel):
    """The encoder and the pooled context vector."""

    _keys_to_ignore_on_load_unexpected = [r"^rec_head\."]  # loading the base of a recommender checkpoint

    def __init__(self, config: CRSBertConfig):
        super().__init__(config)
        self.backbone = AutoModel.from_config(config.encoder_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.backbone.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.backbone.set_input_embeddings(value)

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> CRSBertModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the backbone tokenizer's subwords.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens, 0 at padding; default: the encoder's (attend everywhere).
        """
        check_token_ids(input_ids, attention_mask, self.config.encoder_config.vocab_size)
        outputs = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        if self.config.pooling == "first_token":
            pooled = outputs.last_hidden_state[:, 0]
        else:
            pooled = getattr(outputs, "pooler_output", None)
            if pooled is None:
                raise ValueError(f"the encoder ({type(self.backbone).__name__}) returns no pooler_output; "
                                 f"set pooling='first_token'")
        return CRSBertModelOutput(pooler_output=pooled, last_hidden_state=outputs.last_hidden_state)


class CRSBertForRecommendation(CRSBertPreTrainedModel):
    """Scores the catalogue with a linear layer over the context vector (CRSLab's `mlp`)."""

    def __init__(self, config: CRSBertConfig):
        super().__init__(config)
        self.model = CRSBertModel(config)
        self.rec_head = nn.Linear(config.encoder_config.hidden_size, config.n_items)
        self.post_init()

    def set_backbone(self, name_or_path: str, **from_pretrained_kwargs) -> None:
        """As `CRSBertPreTrainedModel.set_backbone`; the output layer is rebuilt for the backbone's hidden size."""
        super().set_backbone(name_or_path, **from_pretrained_kwargs)
        self.rec_head = nn.Linear(self.config.encoder_config.hidden_size, self.config.n_items, device=self.device)
        self._init_weights(self.rec_head)

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        rec_labels: torch.LongTensor | None = None,
    ) -> CRSBertRecommendationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the backbone tokenizer's subwords.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens, 0 at padding; default: the encoder's (attend everywhere).
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue; -100 is ignored. A turn recommending several items becomes one
            row per item, as in CRSLab.
        """
        pooled = self.model(input_ids, attention_mask).pooler_output
        rec_logits = self.rec_head(pooled)
        loss = None
        if rec_labels is not None:
            check_rec_labels(rec_labels, self.config.n_items, rec_logits.shape[0])
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return CRSBertRecommendationOutput(loss=loss, rec_logits=rec_logits, pooler_output=pooled)


__all__ = ["CRSBertForRecommendation", "CRSBertModel", "CRSBertPreTrainedModel"]
