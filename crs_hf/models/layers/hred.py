"""ReDial's hierarchical recurrent encoder (HRED): a GRU per utterance, then a GRU over the utterance vectors."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from transformers import initialization as init

__all__ = ["CRSHierarchicalEncoder", "init_gru_"]


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
    any utterance a zero state. Utterances are packed, so padding never enters a GRU.

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
            utterance_states[nonempty] = self.dropout(torch.cat([final[-2], final[-1]], dim=-1))
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
