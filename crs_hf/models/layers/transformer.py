"""The transformer encoder-decoder of KBRD, KGSF and the Transformer conversation model, as CRSLab (after
ParlAI) builds it, with a KV cache.

Post-norm blocks: `x = LayerNorm(x + Dropout(Attention(x)))`, then the same around a ReLU feed-forward; token
embeddings optionally scaled by sqrt(dim); sinusoidal or learned positions; encoder outputs zeroed at padding.
A decoder layer attends, after its causal self-attention, to any number of *memories* in order: KBRD's to the
encoded context, KGSF's to the context entities, the context words and then the encoded context.

Differences from CRSLab, on purpose: `generate()` decodes with a KV cache (CRSLab re-runs the whole prefix per
token, `incr_state` is always None), and a query whose keys are all padding (e.g. a user without entities) gets a
zero attention output instead of a uniform average over padding vectors.

`CRSTransformerDecoder.decode` is what a head's forward calls: it starts the cache at the first decoding step
(`new_decoder_cache`), and a head built on `CRSSeq2SeqGenerationMixin` (`layers/generation.py`) then feeds
each later step only the new token. `check_transformer_config` holds the config checks these blocks need.

Every block reads the model config: `token_emb_dim`, `n_heads`, `n_layers`, `ffn_size`, `dropout`,
`attention_dropout`, `relu_dropout`, `learn_positional_embeddings`, `embeddings_scale`, `n_positions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from transformers import initialization as init
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

__all__ = [
    "CRSFeedForward",
    "CRSGenerationEncoder",
    "CRSMultiHeadAttention",
    "CRSPositionEmbedding",
    "CRSTokenEmbedding",
    "CRSTransformerDecoder",
    "CRSTransformerDecoderLayer",
    "CRSTransformerEncoder",
    "CRSTransformerEncoderLayer",
    "check_transformer_config",
    "context_attention_mask",
    "new_decoder_cache",
    "prepare_decoder_inputs",
    "shift_tokens_right",
    "sinusoidal_position_codes",
]


def sinusoidal_position_codes(n_positions: int, dim: int) -> torch.Tensor:
    """ParlAI's `(n_positions, dim)` codes: sin in even columns, cos in odd ones, frequencies 10000^(2j/dim)."""
    angles = torch.arange(n_positions, dtype=torch.float64)[:, None] / torch.pow(
        10000.0, 2 * torch.arange(dim // 2, dtype=torch.float64) / dim
    )
    codes = torch.zeros(n_positions, dim, dtype=torch.float64)
    codes[:, 0::2], codes[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return codes.float()


def shift_tokens_right(labels: torch.Tensor, pad_token_id: int, decoder_start_token_id: int) -> torch.Tensor:
    """Teacher forcing input: `[start] + labels[:-1]`, with the ignored label -100 read as padding."""
    shifted = labels.new_full(labels.shape, pad_token_id)
    shifted[:, 1:] = labels[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == -100, pad_token_id)


def prepare_decoder_inputs(
    config, decoder_input_ids: torch.Tensor | None, labels: torch.Tensor | None, use_cache: bool | None
) -> tuple[torch.Tensor, bool]:
    """The decoder input of a conversation head's forward (default: `labels` shifted right) and whether to cache
    (default: `config.use_cache` when decoding without labels)."""
    if decoder_input_ids is None:
        if labels is None:
            raise ValueError("the conversation heads need decoder_input_ids or labels (the response to learn)")
        decoder_input_ids = shift_tokens_right(labels, config.pad_token_id, config.decoder_start_token_id)
    if use_cache is None:
        use_cache = config.use_cache and labels is None
    return decoder_input_ids, use_cache


def context_attention_mask(
    input_ids: torch.Tensor, attention_mask: torch.Tensor | None, pad_token_id: int
) -> torch.BoolTensor:
    """True at context tokens: `attention_mask` where given, else `input_ids != pad_token_id`."""
    return input_ids != pad_token_id if attention_mask is None else attention_mask.bool()


def new_decoder_cache() -> EncoderDecoderCache:
    """An empty cache for `CRSTransformerDecoder`: self-attention keys/values per layer, and one cross-attention
    slot per (layer, memory), filled at the first step and reused by every later one."""
    return EncoderDecoderCache(DynamicCache(), DynamicCache())


def check_transformer_config(config) -> None:
    """The sizes the blocks of this module need, each error naming the values."""
    if config.token_emb_dim % config.n_heads != 0:
        raise ValueError(f"token_emb_dim ({config.token_emb_dim}) must be a multiple of n_heads ({config.n_heads})")
    if not config.learn_positional_embeddings and config.token_emb_dim % 2 != 0:
        raise ValueError(f"sinusoidal positions need an even token_emb_dim, but got {config.token_emb_dim} "
                         f"(or set learn_positional_embeddings=True)")
    if config.n_positions < 1:
        raise ValueError(f"n_positions must be at least 1, but got {config.n_positions}")


class CRSTokenEmbedding(nn.Embedding):
    """Token embeddings (shared by encoder, decoder and output layer), initialised as ParlAI does: N(0, dim^-1/2)
    with a zero padding row (CRSLab's KBRD/KGSF used kg_emb_dim^-1/2, a slip)."""

    def __init__(self, config):
        super().__init__(config.vocab_size, config.token_emb_dim, padding_idx=config.pad_token_id)

    def reset_parameters(self) -> None:
        init.normal_(self.weight, mean=0.0, std=self.embedding_dim**-0.5)
        if not getattr(self.weight, "_is_hf_initialized", False):
            init.zeros_(self.weight[self.padding_idx])


class CRSPositionEmbedding(nn.Module):
    """Position table: fixed sinusoids (a non-persistent buffer, rebuilt at init) or learned (a parameter)."""

    def __init__(self, config):
        super().__init__()
        self.learned = config.learn_positional_embeddings
        table = torch.empty(config.n_positions, config.token_emb_dim)
        if self.learned:
            self.weight = nn.Parameter(table)
        else:
            self.register_buffer("weight", table, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.learned:
            init.normal_(self.weight, mean=0.0, std=self.weight.shape[1] ** -0.5)
        else:
            init.copy_(self.weight, sinusoidal_position_codes(*self.weight.shape))

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        return nn.functional.embedding(positions, self.weight)


class CRSMultiHeadAttention(nn.Module):
    """Scaled dot-product attention with `n_heads` heads; caches its keys/values in an `EncoderDecoderCache`.

    `cache_index` is the slot in the self-attention cache (self-attention) or in the cross-attention cache
    (attention over a memory, whose keys/values are computed once per generation and reused).
    """

    def __init__(self, config, cache_index: int | None = None, is_cross_attention: bool = False):
        super().__init__()
        dim = config.token_emb_dim
        self.n_heads, self.head_dim = config.n_heads, dim // config.n_heads
        self.cache_index, self.is_cross_attention = cache_index, is_cross_attention
        self.q_lin, self.k_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.v_lin, self.out_lin = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.attn_dropout = nn.Dropout(config.attention_dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """CRSLab's Xavier-normal weights; biases are zeroed by `PreTrainedModel._init_weights`."""
        for linear in (self.q_lin, self.k_lin, self.v_lin, self.out_lin):
            init.xavier_normal_(linear.weight)

    def _heads(self, states: torch.Tensor) -> torch.Tensor:
        batch, length, _ = states.shape
        return states.view(batch, length, self.n_heads, self.head_dim).transpose(1, 2)

    def _keys_values(self, states: torch.Tensor, past_key_values: EncoderDecoderCache | None):
        if past_key_values is None:
            return self._heads(self.k_lin(states)), self._heads(self.v_lin(states))
        if not self.is_cross_attention:
            return past_key_values.self_attention_cache.update(
                self._heads(self.k_lin(states)), self._heads(self.v_lin(states)), self.cache_index
            )
        cache = past_key_values.cross_attention_cache
        if past_key_values.is_updated.get(self.cache_index):
            return cache.layers[self.cache_index].keys, cache.layers[self.cache_index].values
        past_key_values.is_updated[self.cache_index] = True
        return cache.update(self._heads(self.k_lin(states)), self._heads(self.v_lin(states)), self.cache_index)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor,
        key_value_states: torch.Tensor | None = None,
        past_key_values: EncoderDecoderCache | None = None,
    ) -> torch.Tensor:
        """`attention_mask`: bool, broadcastable to `(batch, query_len, key_len)`, True where a key may be seen."""
        batch, length, dim = hidden_states.shape
        query = self._heads(self.q_lin(hidden_states)) / math.sqrt(self.head_dim)
        source = hidden_states if key_value_states is None else key_value_states
        key, value = self._keys_values(source, past_key_values)
        mask = attention_mask.unsqueeze(1)  # heads
        scores = (query @ key.transpose(-1, -2)).masked_fill(~mask, torch.finfo(query.dtype).min)
        weights = self.attn_dropout(torch.softmax(scores, dim=-1) * mask)  # rows without any key -> zeros
        attended = (weights @ value).transpose(1, 2).reshape(batch, length, dim)
        return self.out_lin(attended)


class CRSFeedForward(nn.Module):
    """`Linear -> ReLU -> Dropout(relu_dropout) -> Linear`."""

    def __init__(self, config):
        super().__init__()
        self.lin1 = nn.Linear(config.token_emb_dim, config.ffn_size)
        self.lin2 = nn.Linear(config.ffn_size, config.token_emb_dim)
        self.relu_dropout = nn.Dropout(config.relu_dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """CRSLab's Xavier-uniform weights."""
        init.xavier_uniform_(self.lin1.weight)
        init.xavier_uniform_(self.lin2.weight)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.lin2(self.relu_dropout(torch.relu(self.lin1(hidden_states))))


class CRSTransformerEncoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = CRSMultiHeadAttention(config)
        self.attention_norm = nn.LayerNorm(config.token_emb_dim)
        self.ffn = CRSFeedForward(config)
        self.ffn_norm = nn.LayerNorm(config.token_emb_dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        attended = self.attention(hidden_states, attention_mask[:, None, :])
        hidden_states = self.attention_norm(hidden_states + self.dropout(attended))
        hidden_states = self.ffn_norm(hidden_states + self.dropout(self.ffn(hidden_states)))
        return hidden_states * attention_mask.unsqueeze(-1)


class CRSTransformerEncoder(nn.Module):
    """Encodes embedded context tokens; positions count valid tokens only, so left padding works too."""

    def __init__(self, config):
        super().__init__()
        self.n_positions = config.n_positions
        self.embed_scale = math.sqrt(config.token_emb_dim) if config.embeddings_scale else 1.0
        self.position_embeddings = CRSPositionEmbedding(config)
        self.layers = nn.ModuleList(CRSTransformerEncoderLayer(config) for _ in range(config.n_layers))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """`inputs_embeds`: `(batch, length, dim)`; `attention_mask`: `(batch, length)` bool. Returns the states."""
        if inputs_embeds.shape[1] > self.n_positions:
            raise ValueError(f"the context has {inputs_embeds.shape[1]} tokens, but the model has "
                             f"n_positions={self.n_positions}; truncate the context to at most that many "
                             f"(train_crs: max_context_tokens)")
        positions = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
        hidden_states = inputs_embeds * self.embed_scale + self.position_embeddings(positions)
        hidden_states = self.dropout(hidden_states) * attention_mask.unsqueeze(-1)
        for layer in self.layers:
            hidden_states = layer(hidden_states, attention_mask)
        return hidden_states


class CRSTransformerDecoderLayer(nn.Module):
    """Causal self-attention, then one attention per memory (in the order given), then the feed-forward."""

    def __init__(self, config, layer_idx: int, n_memories: int = 1):
        super().__init__()
        dim = config.token_emb_dim
        self.self_attention = CRSMultiHeadAttention(config, cache_index=layer_idx)
        self.self_attention_norm = nn.LayerNorm(dim)
        self.memory_attentions = nn.ModuleList(
            CRSMultiHeadAttention(config, cache_index=layer_idx * n_memories + k, is_cross_attention=True)
            for k in range(n_memories)
        )
        self.memory_norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(n_memories))
        self.ffn = CRSFeedForward(config)
        self.ffn_norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        hidden_states: torch.Tensor,
        causal_mask: torch.Tensor,
        memories: Sequence[tuple[torch.Tensor, torch.Tensor]],
        past_key_values: EncoderDecoderCache | None = None,
    ) -> torch.Tensor:
        attended = self.self_attention(hidden_states, causal_mask, past_key_values=past_key_values)
        hidden_states = self.self_attention_norm(hidden_states + self.dropout(attended))
        for attention, norm, (states, mask) in zip(self.memory_attentions, self.memory_norms, memories):
            attended = attention(hidden_states, mask[:, None, :], key_value_states=states,
                                 past_key_values=past_key_values)
            hidden_states = norm(hidden_states + self.dropout(attended))
        return self.ffn_norm(hidden_states + self.dropout(self.ffn(hidden_states)))


class CRSTransformerDecoder(nn.Module):
    """Decodes embedded response tokens given `n_memories` memories, each a `(states, bool mask)` pair."""

    def __init__(self, config, n_memories: int = 1):
        super().__init__()
        self.n_positions, self.n_memories = config.n_positions, n_memories
        self.embed_scale = math.sqrt(config.token_emb_dim) if config.embeddings_scale else 1.0
        self.position_embeddings = CRSPositionEmbedding(config)
        self.layers = nn.ModuleList(
            CRSTransformerDecoderLayer(config, layer_idx, n_memories) for layer_idx in range(config.n_layers)
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        memories: Sequence[tuple[torch.Tensor, torch.Tensor]],
        past_key_values: EncoderDecoderCache | None = None,
    ) -> torch.Tensor:
        """`inputs_embeds`: `(batch, length, dim)`, the tokens after those in `past_key_values`."""
        if len(memories) != self.n_memories:
            raise ValueError(f"the decoder attends to {self.n_memories} memories, but got {len(memories)}")
        if past_key_values is not None and not isinstance(past_key_values, EncoderDecoderCache):
            raise TypeError(f"past_key_values must be an EncoderDecoderCache (or None, to start one), "
                            f"but got {type(past_key_values).__name__}")
        length = inputs_embeds.shape[1]
        past = past_key_values.get_seq_length() if past_key_values is not None else 0
        if past + length > self.n_positions:
            raise ValueError(f"decoding position {past + length - 1} is past n_positions={self.n_positions}")
        positions = torch.arange(past, past + length, device=inputs_embeds.device)
        hidden_states = self.dropout(inputs_embeds * self.embed_scale + self.position_embeddings(positions))
        causal_mask = torch.ones(length, past + length, dtype=torch.bool, device=inputs_embeds.device)
        causal_mask = causal_mask.tril(diagonal=past).unsqueeze(0)
        for layer in self.layers:
            hidden_states = layer(hidden_states, causal_mask, memories, past_key_values)
        return hidden_states

    def decode(
        self,
        inputs_embeds: torch.Tensor,
        memories: Sequence[tuple[torch.Tensor, torch.Tensor]],
        past_key_values: EncoderDecoderCache | None = None,
        use_cache: bool = False,
    ) -> tuple[torch.Tensor, EncoderDecoderCache | None]:
        """`forward` for a head: with `use_cache`, starts a cache when none is given (the first decoding step) and
        returns it; without, decodes the whole input and returns no cache. Returns `(hidden_states, cache)`."""
        if not use_cache:
            return self(inputs_embeds, memories), None
        if past_key_values is None:
            past_key_values = new_decoder_cache()
        return self(inputs_embeds, memories, past_key_values), past_key_values


class CRSGenerationEncoder:
    """What `generate()` gets from `get_encoder()`: the head's `encode` method behind a `forward`.

    `GenerationMixin.generate` encodes once per batch by calling `model.get_encoder()(input_ids=..., **kwargs)`.
    Our encoding also runs the knowledge-graph encoders (the R-GCN over every entity), which live in the base
    model, not in the text encoder, so the head's `encode` does the whole job; its outputs are then reused by
    every decoding step instead of re-running the graph per token. Not an `nn.Module`: it owns no parameters.
    """

    main_input_name = "input_ids"

    def __init__(self, encode: Callable):
        self.forward = encode

    def __call__(self, **kwargs):
        return self.forward(**kwargs)
