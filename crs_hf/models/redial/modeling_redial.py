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
from transformers import GenerationMixin
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import (
    CRSAutoRec,
    CRSHierarchicalEncoder,
    init_gru_,
    prepare_decoder_inputs,
    token_cross_entropy,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_redial import ReDialConfig

logger = logging.get_logger(__name__)


class ReDialDecoderCache:
    """The decoder GRU's state after the tokens decoded so far: `generate()` passes it as `past_key_values`
    between steps and reorders it for beam search."""

    is_compileable = is_croppable = False  # read by `generate()`'s compile and deferred-stop checks

    def __init__(self, hidden_state: torch.Tensor, seq_length: int):
        self.hidden_state = hidden_state  # (decoder_num_layers, batch, decoder_hidden_size)
        self.seq_length = seq_length

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.seq_length

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self.hidden_state = self.hidden_state.index_select(1, beam_idx.to(self.hidden_state.device))


class ReDialSwitchingDecoder(nn.Module):
    """A GRU started from the context state; `p(w) = s p_words(w) + (1 - s) [w = item_token]`,
    `s = sigmoid(switch([context; h_t]))`. Returns log-probabilities."""

    def __init__(self, config: ReDialConfig):
        super().__init__()
        self.num_layers, self.item_token_id = config.decoder_num_layers, config.item_token_id
        self.gru = nn.GRU(config.embedding_dim, config.decoder_hidden_size, num_layers=config.decoder_num_layers,
                          batch_first=True)
        self.out = nn.Linear(config.decoder_hidden_size, config.vocab_size)
        self.switch = None
        if config.item_token_id is not None:
            self.switch = nn.Linear(config.decoder_hidden_size + config.dialog_encoder_hidden_size, 1)

    def reset_parameters(self) -> None:
        init_gru_(self.gru)

    def forward(
        self, inputs_embeds: torch.Tensor, context_state: torch.Tensor, hidden_state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`inputs_embeds` `(batch, length, embedding_dim)` -> `(log_probs (batch, length, vocab), new state)`."""
        if hidden_state is None:
            hidden_state = context_state.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()
        states, hidden_state = self.gru(inputs_embeds, hidden_state)
        log_probs = torch.log_softmax(self.out(states).float(), dim=-1)
        if self.switch is not None:
            context = context_state.unsqueeze(1).expand(-1, states.shape[1], -1)
            switch = self.switch(torch.cat([context, states], dim=-1)).float()
            log_probs = nn.functional.logsigmoid(switch) + log_probs
            item = torch.logaddexp(log_probs[..., self.item_token_id], nn.functional.logsigmoid(-switch)[..., 0])
            log_probs = log_probs.index_copy(-1, torch.tensor([self.item_token_id], device=item.device),
                                             item.unsqueeze(-1))
        return log_probs, hidden_state


@dataclass
class ReDialModelOutput(ModelOutput):
    """
    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, n_utterances, 2 * utterance_hidden)`):
            One vector per context utterance (zeros for empty ones); `utterance_hidden` is
            `config.utterance_encoder_hidden_size`.
        context_state (`torch.FloatTensor` of shape `(batch_size, dialog_encoder_hidden_size)`):
            Final state of the context GRU (zeros for an empty context).
    """

    last_hidden_state: torch.FloatTensor | None = None
    context_state: torch.FloatTensor | None = None


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


@dataclass
class ReDialConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Negative log-likelihood of `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Next-token log-probabilities (already normalised, switch included).
        past_key_values (`ReDialDecoderCache`, returned when `use_cache=True`):
            Decoder state for the next decoding step.
        context_state (`torch.FloatTensor` of shape `(batch_size, dialog_encoder_hidden_size)`):
            The encoded context.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: ReDialDecoderCache | None = None
    context_state: torch.FloatTensor | None = None


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
REDIAL_INITIALIZED_LAYERS = (CRSAutoRec, CRSHierarchicalEncoder, ReDialSwitchingDecoder)


class ReDialPreTrainedModel(CRSPreTrainedModel):
    config_class = ReDialConfig
    base_model_prefix = "model"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, REDIAL_INITIALIZED_LAYERS):
            module.reset_parameters()


class ReDialModel(ReDialPreTrainedModel):
    """The hierarchical encoder: utterance GRU, then context GRU."""

    def __init__(self, config: ReDialConfig):
        super().__init__(config)
        self.encoder = CRSHierarchicalEncoder(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.encoder.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.encoder.embed_tokens = value

    def forward(
        self,
        input_ids: torch.LongTensor,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> ReDialModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, n_utterances, utterance_length)`):
            The context, one row of tokens per utterance, padded with `pad_token_id` in both dimensions.
        output_attentions, output_hidden_states, return_dict:
            Accepted for `generate()`; there are no attentions, and the output is always a `ReDialModelOutput`.
        """
        if output_attentions or output_hidden_states:
            raise ValueError("ReDial returns neither attentions nor per-layer hidden states")
        utterance_states, context_state = self.encoder(input_ids)
        return ReDialModelOutput(last_hidden_state=utterance_states, context_state=context_state)


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


class ReDialForConversation(ReDialPreTrainedModel, GenerationMixin):
    """HRED with ReDial's switching decoder, trained on the right-shifted response."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`

    def __init__(self, config: ReDialConfig):
        super().__init__(config)
        self.model = ReDialModel(config)
        self.decoder = ReDialSwitchingDecoder(config)
        self.post_init()

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False  # the cache is the GRU state (`ReDialDecoderCache`), started by forward

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.set_input_embeddings(value)

    def get_encoder(self) -> ReDialModel:
        return self.model

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: ReDialModelOutput | None = None,
        past_key_values: ReDialDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> ReDialConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, n_utterances, utterance_length)`):
            The context, one row per utterance, padded with `pad_token_id`; not needed with `encoder_outputs`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`ReDialModelOutput`, *optional*):
            Output of the encoder (`self.model`), reused across decoding steps.
        past_key_values (`ReDialDecoderCache`, *optional*):
            Decoder state after the previous steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The response followed by `eos_token_id`, padded with -100.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always a `ReDialConversationOutput`.
        """
        if encoder_outputs is None:
            encoder_outputs = self.model(input_ids)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        past_state = past_key_values.hidden_state if past_key_values is not None else None
        log_probs, hidden_state = self.decoder(self.get_input_embeddings()(decoder_input_ids),
                                               encoder_outputs.context_state, past_state)
        cache = None
        if use_cache:
            past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
            cache = ReDialDecoderCache(hidden_state, past_length + decoder_input_ids.shape[1])
        loss = None if labels is None else token_cross_entropy(log_probs, labels, num_items_in_batch)
        return ReDialConversationOutput(loss=loss, logits=log_probs, past_key_values=cache,
                                        context_state=encoder_outputs.context_state)


__all__ = [
    "ReDialForConversation",
    "ReDialForRecommendation",
    "ReDialModel",
    "ReDialPreTrainedModel",
]
