"""The hierarchical recurrent encoder-decoder (HRED) of ReDial, as CRSLab builds it: a GRU per utterance, a GRU
over the utterance vectors, and a decoder GRU started from the context state, optionally with ReDial's switch
between words and an item placeholder.

Shared by ReDial's conversation model (with the switch) and the HRED conversation model (without): each base
model is a `CRSHierarchicalModelMixin` over `self.encoder` (a `CRSHierarchicalEncoder`), each head a
`CRSHierarchicalConversationMixin` over `self.model` (that base model) and `self.decoder` (a
`CRSRecurrentDecoder`). The mixins come first in the class bases, before the `PreTrainedModel` (whose
`nn.Module.forward` they override).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from transformers import initialization as init
from transformers.utils import ModelOutput

from .generation import check_logits_to_keep, last_positions
from .loss import token_cross_entropy
from .transformer import prepare_decoder_inputs

__all__ = [
    "CRSHierarchicalConversationMixin",
    "CRSHierarchicalConversationOutput",
    "CRSHierarchicalEncoder",
    "CRSHierarchicalEncoderOutput",
    "CRSHierarchicalModelMixin",
    "CRSRecurrentDecoder",
    "CRSRecurrentDecoderCache",
    "init_gru_",
]


def init_gru_(gru: nn.GRU) -> None:
    """PyTorch's own GRU initialisation, U(-1/sqrt(hidden), 1/sqrt(hidden)), through `transformers.initialization`
    so that weights loaded from a checkpoint are left alone (`PreTrainedModel._init_weights` skips GRUs)."""
    bound = gru.hidden_size**-0.5
    for parameter in gru.parameters():
        init.uniform_(parameter, -bound, bound)


class CRSHierarchicalEncoder(nn.Module):
    """Token embeddings, a bidirectional utterance GRU and a context GRU, as in Li et al. (NeurIPS 2018) / CRSLab.

    The input is the dialog context as a `(batch, n_utterances, utterance_length)` grid of token ids, padded with
    `pad_token_id` in both directions; empty utterances (all padding) get a zero vector and a context without
    any utterance a zero state. Utterances are packed, so padding never enters a GRU. An utterance's vector is
    the final state of the backward direction, then of the forward one (CRSLab's order).

    Reads `config.vocab_size`, `config.embedding_dim`, `config.pad_token_id`, `config.utterance_encoder_hidden_size`,
    `config.dialog_encoder_hidden_size`, `config.dialog_encoder_num_layers`, `config.dropout`.
    """

    def __init__(self, config):
        super().__init__()
        self.pad_token_id = config.pad_token_id
        self.embed_tokens = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        self.utterance_encoder = nn.GRU(config.embedding_dim, config.utterance_encoder_hidden_size,
                                        batch_first=True, bidirectional=True)
        self.context_encoder = nn.GRU(2 * config.utterance_encoder_hidden_size, config.dialog_encoder_hidden_size,
                                      num_layers=config.dialog_encoder_num_layers, batch_first=True)
        self.dropout = nn.Dropout(config.dropout)

    def reset_parameters(self) -> None:
        """N(0, 1) token embeddings (CRSLab's `nn.Embedding` default) with a zero padding row; PyTorch's GRU init."""
        weight = self.embed_tokens.weight
        init.normal_(weight, mean=0.0, std=1.0)
        if not getattr(weight, "_is_hf_initialized", False):
            init.zeros_(weight[self.pad_token_id])
        init_gru_(self.utterance_encoder)
        init_gru_(self.context_encoder)

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns `utterance_states` `(batch, n_utterances, 2 * utterance_hidden)` and `context_state`
        `(batch, dialog_hidden)`."""
        if input_ids.dim() != 3:
            raise ValueError(f"input_ids must be (batch, n_utterances, utterance_length), "
                             f"but got {tuple(input_ids.shape)}")
        batch, n_utterances, _ = input_ids.shape
        lengths = (input_ids != self.pad_token_id).sum(-1)  # (batch, n_utterances)
        flat_lengths = lengths.flatten()
        nonempty = flat_lengths > 0
        embedded = self.dropout(self.embed_tokens(input_ids.flatten(0, 1)[nonempty]))
        utterance_states = embedded.new_zeros(batch * n_utterances, 2 * self.utterance_encoder.hidden_size)
        if embedded.shape[0]:
            packed = pack_padded_sequence(embedded, flat_lengths[nonempty].cpu(), batch_first=True,
                                          enforce_sorted=False)
            _, final = self.utterance_encoder(packed)  # (2 directions, n, hidden)
            utterance_states[nonempty] = self.dropout(torch.cat([final[-1], final[-2]], dim=-1))  # backward first
        utterance_states = utterance_states.view(batch, n_utterances, -1)

        # the dialog runs up to its last non-empty utterance
        dialog_lengths = (torch.arange(1, n_utterances + 1, device=input_ids.device) * (lengths > 0)).amax(-1)
        context_state = utterance_states.new_zeros(batch, self.context_encoder.hidden_size)
        has_context = dialog_lengths > 0
        if has_context.any():
            packed = pack_padded_sequence(utterance_states[has_context], dialog_lengths[has_context].cpu(),
                                          batch_first=True, enforce_sorted=False)
            _, final = self.context_encoder(packed)  # (num_layers, n, hidden)
            context_state[has_context] = self.dropout(final[-1])
        return utterance_states, context_state


@dataclass
class CRSHierarchicalEncoderOutput(ModelOutput):
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


class CRSHierarchicalModelMixin:
    """The base model of a hierarchical encoder-decoder: `self.encoder` (`CRSHierarchicalEncoder`) behind a
    `forward` that `generate()` calls once per batch as the encoder."""

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
    ) -> CRSHierarchicalEncoderOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, n_utterances, utterance_length)`):
            The context, one row of tokens per utterance, padded with `pad_token_id` in both dimensions.
        output_attentions, output_hidden_states, return_dict:
            Accepted for `generate()`; there are no attentions, and the output is always a
            `CRSHierarchicalEncoderOutput`.
        """
        if output_attentions or output_hidden_states:
            raise ValueError(f"{type(self).__name__} returns neither attentions nor per-layer hidden states")
        utterance_states, context_state = self.encoder(input_ids)
        return CRSHierarchicalEncoderOutput(last_hidden_state=utterance_states, context_state=context_state)


class CRSRecurrentDecoderCache:
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


class CRSRecurrentDecoder(nn.Module):
    """A GRU started from the context state (every layer), then a vocabulary projection; returns
    log-probabilities. With `item_token_id` (ReDial), `p(w) = s p_words(w) + (1 - s) [w = item_token]`,
    `s = sigmoid(switch([context; h_t]))`; without (HRED), `p(w) = p_words(w)`.

    Reads `config.embedding_dim`, `config.decoder_hidden_size`, `config.decoder_num_layers`, `config.vocab_size`
    and `config.dialog_encoder_hidden_size`.
    """

    def __init__(self, config, item_token_id: int | None = None):
        super().__init__()
        self.num_layers, self.item_token_id = config.decoder_num_layers, item_token_id
        self.gru = nn.GRU(config.embedding_dim, config.decoder_hidden_size, num_layers=config.decoder_num_layers,
                          batch_first=True)
        self.out = nn.Linear(config.decoder_hidden_size, config.vocab_size)
        self.switch = None
        if item_token_id is not None:
            self.switch = nn.Linear(config.decoder_hidden_size + config.dialog_encoder_hidden_size, 1)

    def reset_parameters(self) -> None:
        init_gru_(self.gru)

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        context_state: torch.Tensor,
        past_key_values: CRSRecurrentDecoderCache | None = None,
        use_cache: bool = False,
        logits_to_keep: int = 0,
    ) -> tuple[torch.Tensor, CRSRecurrentDecoderCache | None]:
        """`inputs_embeds` `(batch, length, embedding_dim)`, the tokens after those in `past_key_values` ->
        `(log_probs (batch, length or logits_to_keep, vocab), the cache with them when use_cache)`."""
        if past_key_values is None:
            hidden_state = context_state.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()
        else:
            hidden_state = past_key_values.hidden_state
        states, hidden_state = self.gru(inputs_embeds, hidden_state)
        states = last_positions(states, logits_to_keep)
        log_probs = torch.log_softmax(self.out(states).float(), dim=-1)
        if self.switch is not None:
            context = context_state.unsqueeze(1).expand(-1, states.shape[1], -1)
            switch = self.switch(torch.cat([context, states], dim=-1)).float()
            log_probs = nn.functional.logsigmoid(switch) + log_probs
            item = torch.logaddexp(log_probs[..., self.item_token_id], nn.functional.logsigmoid(-switch)[..., 0])
            log_probs = log_probs.index_copy(-1, torch.tensor([self.item_token_id], device=item.device),
                                             item.unsqueeze(-1))
        cache = None
        if use_cache:
            past_length = 0 if past_key_values is None else past_key_values.get_seq_length()
            cache = CRSRecurrentDecoderCache(hidden_state, past_length + inputs_embeds.shape[1])
        return log_probs, cache


@dataclass
class CRSHierarchicalConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Negative log-likelihood of `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Next-token log-probabilities (already normalised; ReDial's switch included); only the last
            `logits_to_keep` positions when that is given.
        past_key_values (`CRSRecurrentDecoderCache`, returned when `use_cache=True`):
            Decoder state for the next decoding step.
        context_state (`torch.FloatTensor` of shape `(batch_size, dialog_encoder_hidden_size)`):
            The encoded context.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: CRSRecurrentDecoderCache | None = None
    context_state: torch.FloatTensor | None = None


class CRSHierarchicalConversationMixin:
    """The conversation head of a hierarchical encoder-decoder: `self.model` encodes the utterance grid (its output
    has `context_state`), `self.decoder` (`CRSRecurrentDecoder`) reads the response shifted right (teacher
    forcing) and `generate()` decodes with the GRU state as the cache. The token embeddings are the encoder's,
    shared with the decoder as in CRSLab.

    The bases: `class XForConversation(CRSHierarchicalConversationMixin, XPreTrainedModel,
    CRSSeq2SeqGenerationMixin)`.
    """

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.set_input_embeddings(value)

    def get_encoder(self) -> nn.Module:
        return self.model

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: CRSHierarchicalEncoderOutput | None = None,
        past_key_values: CRSRecurrentDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> CRSHierarchicalConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, n_utterances, utterance_length)`):
            The context, one row per utterance, padded with `pad_token_id`; not needed with `encoder_outputs`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`CRSHierarchicalEncoderOutput`, *optional*):
            Output of the encoder (`self.model`), reused across decoding steps.
        past_key_values (`CRSRecurrentDecoderCache`, *optional*):
            Decoder state after the previous steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The response followed by `eos_token_id`, padded with -100.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        logits_to_keep (`int`, *optional*, defaults to 0):
            Log-probabilities for the last this many positions only (`generate()` passes 1); 0 keeps all.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always a `CRSHierarchicalConversationOutput`.
        """
        check_logits_to_keep(logits_to_keep, labels)
        if encoder_outputs is None:
            encoder_outputs = self.model(input_ids)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        log_probs, cache = self.decoder(self.get_input_embeddings()(decoder_input_ids), encoder_outputs.context_state,
                                        past_key_values, use_cache, logits_to_keep)
        loss = None if labels is None else token_cross_entropy(log_probs, labels, num_items_in_batch)
        return CRSHierarchicalConversationOutput(loss=loss, logits=log_probs, past_key_values=cache,
                                                 context_state=encoder_outputs.context_state)
