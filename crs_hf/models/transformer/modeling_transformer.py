"""CRSLab's Transformer conversation model: the encoder-decoder of Vaswani et al. (NeurIPS 2017) as ParlAI and
CRSLab build it, over the flat context tokens, without knowledge.

The base [`TransformerModel`] holds the token embeddings (shared by the encoder, the decoder and the output
layer), the encoder and the decoder, and returns the decoder states; [`TransformerForConversation`] projects them
onto the vocabulary with the tied embeddings (`logits = h W_emb^T`, CRSLab's `F.linear(latent, embedding)`) and
generates through `GenerationMixin` with a KV cache. The blocks are the ones KBRD's and KGSF's conversation models
use (`crs_hf.models.layers.transformer`).

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers.cache_utils import EncoderDecoderCache
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import (
    CRSFeedForward,
    CRSGenerationEncoder,
    CRSMultiHeadAttention,
    CRSPositionEmbedding,
    CRSSeq2SeqGenerationMixin,
    CRSTokenEmbedding,
    CRSTransformerDecoder,
    CRSTransformerEncoder,
    check_logits_to_keep,
    context_attention_mask,
    last_positions,
    prepare_decoder_inputs,
    token_cross_entropy,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_transformer import TransformerConfig

logger = logging.get_logger(__name__)


@dataclass
class TransformerEncoderOutput(ModelOutput):
    """What the decoder attends to; computed once per batch by `generate()`.

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens (zero at padding).
        attention_mask (`torch.BoolTensor` of shape `(batch_size, context_length)`):
            True at context tokens.
    """

    last_hidden_state: torch.FloatTensor | None = None
    attention_mask: torch.BoolTensor | None = None


@dataclass
class TransformerModelOutput(ModelOutput):
    """
    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, target_length, token_emb_dim)`):
            Decoder states of the response tokens fed.
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
    """

    last_hidden_state: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None


@dataclass
class TransformerConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Next-token scores from the tied output embedding (the last `logits_to_keep` positions only, when given).
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
TRANSFORMER_INITIALIZED_LAYERS = (CRSFeedForward, CRSMultiHeadAttention, CRSPositionEmbedding, CRSTokenEmbedding)


class TransformerPreTrainedModel(CRSPreTrainedModel):
    config_class = TransformerConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, TRANSFORMER_INITIALIZED_LAYERS):
            module.reset_parameters()


class TransformerModel(TransformerPreTrainedModel):
    """Token embeddings, encoder and decoder (one memory: the encoded context); returns the decoder states."""

    def __init__(self, config: TransformerConfig):
        super().__init__(config)
        self.embed_tokens = CRSTokenEmbedding(config)
        self.conv_encoder = CRSTransformerEncoder(config)
        self.conv_decoder = CRSTransformerDecoder(config, n_memories=1)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def encode(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TransformerEncoderOutput:
        """Encodes the context tokens (`(batch, context_length)`, padded with `pad_token_id`)."""
        if output_attentions or output_hidden_states:
            raise ValueError("the Transformer returns neither attentions nor per-layer hidden states")
        if input_ids is None:
            raise ValueError("the Transformer needs input_ids: (batch, context_length) context tokens")
        mask = context_attention_mask(input_ids, attention_mask, self.config.pad_token_id)
        hidden_states = self.conv_encoder(self.embed_tokens(input_ids), mask)
        return TransformerEncoderOutput(last_hidden_state=hidden_states, attention_mask=mask)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: TransformerEncoderOutput | None = None,
        past_key_values: EncoderDecoderCache | None = None,
        use_cache: bool | None = None,
        return_dict: bool | None = None,
    ) -> TransformerModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`):
            Response tokens fed to the decoder (after those in `past_key_values`).
        encoder_outputs (`TransformerEncoderOutput`, *optional*):
            Output of `encode`, reused across decoding steps.
        past_key_values (`EncoderDecoderCache`, *optional*):
            Cache of the previous decoding steps.
        use_cache (`bool`, *optional*):
            Return `past_key_values` (started here when none is given); default `config.use_cache`.
        return_dict (`bool`, *optional*):
            Accepted for the Trainer; the output is always a `TransformerModelOutput`.
        """
        if decoder_input_ids is None:
            raise ValueError("TransformerModel needs decoder_input_ids (the response tokens to decode)")
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        memories = [(encoder_outputs.last_hidden_state, encoder_outputs.attention_mask)]
        hidden_states, past_key_values = self.conv_decoder.decode(self.embed_tokens(decoder_input_ids), memories,
                                                                  past_key_values, use_cache)
        return TransformerModelOutput(last_hidden_state=hidden_states, past_key_values=past_key_values,
                                      encoder_last_hidden_state=encoder_outputs.last_hidden_state)


class TransformerForConversation(TransformerPreTrainedModel, CRSSeq2SeqGenerationMixin):
    """`logits = h W_emb^T` over the base model's decoder states, trained on the right-shifted response."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`

    def __init__(self, config: TransformerConfig):
        super().__init__(config)
        self.model = TransformerModel(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.embed_tokens = value

    def get_encoder(self) -> CRSGenerationEncoder:
        return CRSGenerationEncoder(self.model.encode)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: TransformerEncoderOutput | None = None,
        past_key_values: EncoderDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> TransformerConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`TransformerEncoderOutput`, *optional*):
            Output of the base model's `encode`, reused across decoding steps.
        past_key_values (`EncoderDecoderCache`, *optional*):
            Cache of the previous decoding steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The response followed by `eos_token_id`, padded with -100.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        logits_to_keep (`int`, *optional*, defaults to 0):
            Logits for the last this many positions only (`generate()` passes 1); 0 keeps every position.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always a `TransformerConversationOutput`.
        """
        check_logits_to_keep(logits_to_keep, labels)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        outputs = self.model(input_ids, attention_mask, decoder_input_ids, encoder_outputs, past_key_values, use_cache)
        hidden_states = last_positions(outputs.last_hidden_state, logits_to_keep)
        logits = hidden_states @ self.model.embed_tokens.weight.t()
        loss = None if labels is None else token_cross_entropy(logits, labels, num_items_in_batch)
        return TransformerConversationOutput(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            encoder_last_hidden_state=outputs.encoder_last_hidden_state,
        )


__all__ = ["TransformerForConversation", "TransformerModel", "TransformerPreTrainedModel"]
