"""KBRD (Chen et al., "Towards Knowledge-Based Recommender Dialog System", EMNLP 2019), as CRSLab builds it.

An R-GCN encodes every entity of the knowledge graph; self-attention pools the entities mentioned in the context
into a user vector. [`KBRDForRecommendation`] scores the item catalogue with it; [`KBRDForConversation`] is a
transformer encoder-decoder whose vocabulary logits get a per-user bias computed from it. Both heads share the
base [`KBRDModel`] (prefix `model.`), so a conversation model starts from a trained recommender with
`KBRDForConversation.from_pretrained(recommender_dir)`; CRSLab then freezes it (`model.model.requires_grad_(False)`).

This file is self-contained (no `crs_hf` import) so that a checkpoint saved after `register_for_auto_class()` loads
with `trust_remote_code=True` where crs_hf is not installed; the blocks marked `# Copied from` are kept equal to
`crs_hf/models/layers` by `python -m crs_hf.models.check_copies`.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py` (the model card
lists them).
"""

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import GenerationMixin, PreTrainedModel
from transformers import initialization as init
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.utils import ModelOutput, logging

from .configuration_kbrd import KBRDConfig

logger = logging.get_logger(__name__)


# Copied from crs_hf.models.layers.rgcn.check_graph
def check_graph(edge_index: torch.Tensor, edge_type: torch.Tensor | None, num_nodes: int, num_relations: int) -> None:
    """Raises a `ValueError` naming the offending value if the edges do not fit the sizes in the config."""
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, num_edges), but got {tuple(edge_index.shape)}")
    if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"edge_index holds node ids in [{int(edge_index.min())}, {int(edge_index.max())}], "
                         f"but the config allows [0, {num_nodes})")
    if edge_type is None:
        return
    if edge_type.shape != edge_index.shape[1:]:
        raise ValueError(f"edge_type must have shape ({edge_index.shape[1]},) to match edge_index, "
                         f"but got {tuple(edge_type.shape)}")
    if edge_type.numel() and (edge_type.min() < 0 or edge_type.max() >= num_relations):
        raise ValueError(f"edge_type holds relation ids in [{int(edge_type.min())}, {int(edge_type.max())}], "
                         f"but the config has n_relation={num_relations}")


# Copied from crs_hf.models.layers.rgcn._csr
def _csr(rows: torch.Tensor, cols: torch.Tensor, num_rows: int, num_cols: int) -> tuple[torch.Tensor, ...]:
    """CSR structure of the entries (rows, cols): row pointers, column indices, and the entry order it sorts to."""
    order = torch.argsort(rows * num_cols + cols)
    crow = torch.zeros(num_rows + 1, dtype=torch.long, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=num_rows), 0)
    return crow, cols[order], order


# Copied from crs_hf.models.layers.rgcn._sparse_csr
def _sparse_csr(structure: tuple[torch.Tensor, ...], values: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    crow, col, order = structure
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values[order], size, check_invariants=False)


# Copied from crs_hf.models.layers.rgcn._BasisPropagation
class _BasisPropagation(torch.autograd.Function):
    """out = A @ bases, with A the (N, B*N) sparse matrix of per-edge basis weights (`values`, entry order)."""

    @staticmethod
    def forward(ctx, bases: torch.Tensor, values: torch.Tensor, structure: tuple, transposed: tuple) -> torch.Tensor:
        num_bases, num_nodes, dim = bases.shape
        matrix = _sparse_csr(structure, values, (num_nodes, num_bases * num_nodes))
        ctx.save_for_backward(bases, values)
        ctx.structure, ctx.transposed = structure, transposed
        return matrix @ bases.reshape(num_bases * num_nodes, dim)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        bases, values = ctx.saved_tensors
        num_bases, num_nodes, dim = bases.shape
        grad_out = grad_out.contiguous()
        grad_bases = grad_values = None
        if ctx.needs_input_grad[0]:
            transposed = _sparse_csr(ctx.transposed, values, (num_bases * num_nodes, num_nodes))
            grad_bases = (transposed @ grad_out).view(num_bases, num_nodes, dim)
        if ctx.needs_input_grad[1]:
            # d out / d A[i, k] = <grad_out[i], bases_flat[k]>, sampled at A's entries only (no dense N x B*N matrix)
            pattern = _sparse_csr(ctx.structure, torch.zeros_like(values), (num_nodes, num_bases * num_nodes))
            sampled = torch.sparse.sampled_addmm(pattern, grad_out, bases.reshape(num_bases * num_nodes, dim).t(),
                                                 beta=0.0)
            grad_values = torch.empty_like(values)
            grad_values[ctx.structure[2]] = sampled.values()
        return grad_bases, grad_values, None, None


# Copied from crs_hf.models.layers.rgcn.CRSRelationalGraphConv with CRS->KBRD
class KBRDRelationalGraphConv(nn.Module):
    """Featureless R-GCN layer with basis decomposition, mean aggregation per relation, root weight and bias.

    Equal to `torch_geometric.nn.RGCNConv(num_nodes, out_channels, num_relations, num_bases=num_bases)` called as
    `conv(None, edge_index, edge_type)`, with the same parameter names and shapes, so that either one's
    `state_dict` loads into the other. Edges run from `edge_index[0]` (source) to `edge_index[1]` (target).
    """

    def __init__(self, num_nodes: int, out_channels: int, num_relations: int, num_bases: int):
        super().__init__()
        self.num_nodes, self.out_channels = num_nodes, out_channels
        self.num_relations, self.num_bases = num_relations, num_bases
        self.weight = nn.Parameter(torch.empty(num_bases, num_nodes, out_channels))
        self.comp = nn.Parameter(torch.empty(num_relations, num_bases))
        self.root = nn.Parameter(torch.empty(num_nodes, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self._structure_key: tuple | None = None
        self._structure: tuple | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch_geometric's initialisation: Glorot-uniform over the last two dimensions, zero bias."""
        for tensor in (self.weight, self.comp, self.root):
            bound = math.sqrt(6.0 / (tensor.shape[-2] + tensor.shape[-1]))
            init.uniform_(tensor, -bound, bound)
        init.zeros_(self.bias)

    def _edge_structure(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> tuple:
        """Per-edge mean weights and the sparse structures of A and A^T, cached until the edge tensors change."""
        key = (edge_index.data_ptr(), edge_index._version, edge_type.data_ptr(), edge_type._version,
               edge_index.shape[1], edge_index.device, self.weight.dtype)
        if key != self._structure_key:
            source, target = edge_index[0], edge_index[1]
            num_nodes, num_bases, num_edges = self.num_nodes, self.num_bases, source.numel()
            group = target * self.num_relations + edge_type  # (target, relation): the set each mean runs over
            degree = torch.bincount(group, minlength=num_nodes * self.num_relations)
            inverse_degree = 1.0 / degree[group].to(self.weight.dtype)
            # entry k = b * num_edges + e sits at (target_e, b * num_nodes + source_e)
            rows = target.repeat(num_bases)
            cols = (torch.arange(num_bases, device=source.device).repeat_interleave(num_edges) * num_nodes
                    + source.repeat(num_bases))
            self._structure = (inverse_degree, _csr(rows, cols, num_nodes, num_bases * num_nodes),
                               _csr(cols, rows, num_bases * num_nodes, num_nodes))
            self._structure_key = key
        return self._structure

    def forward(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> torch.Tensor:
        """Returns the `(num_nodes, out_channels)` node representations."""
        inverse_degree, structure, transposed = self._edge_structure(edge_index, edge_type)
        with torch.autocast(edge_index.device.type, enabled=False):  # sparse kernels: float32 only
            values = (inverse_degree[:, None] * self.comp[edge_type]).t().reshape(-1)  # (num_bases * num_edges,)
            out = _BasisPropagation.apply(self.weight, values, structure, transposed)
        return out + self.root + self.bias


# Copied from crs_hf.models.layers.rgcn.CRSEntityGraphEncoder with CRS->KBRD
class KBRDEntityGraphEncoder(nn.Module):
    """The entity knowledge graph and its R-GCN: `forward()` gives every entity's `(n_entity, kg_emb_dim)` vector.

    The edges are persistent buffers, saved with the weights in `model.safetensors`; their number is
    `config.n_entity_edges`, so that a model rebuilt from its config has buffers of the saved shape. Load a graph
    with `set_graph` (e.g. the `edge_index` / `edge_type` of `crs_hf.data.load_graph`).

    Reads `config.n_entity`, `config.kg_emb_dim`, `config.n_relation`, `config.num_bases`, `config.n_entity_edges`.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.conv = KBRDRelationalGraphConv(config.n_entity, config.kg_emb_dim, config.n_relation, config.num_bases)
        self.register_buffer("edge_index", torch.zeros(2, config.n_entity_edges, dtype=torch.long))
        self.register_buffer("edge_type", torch.zeros(config.n_entity_edges, dtype=torch.long))

    @torch.no_grad()
    def set_graph(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> None:
        """Replaces the graph (validated against the config) and records its size in `config.n_entity_edges`."""
        edge_index, edge_type = torch.as_tensor(edge_index), torch.as_tensor(edge_type)
        check_graph(edge_index, edge_type, self.config.n_entity, self.config.n_relation)
        device = self.edge_index.device
        self.edge_index = edge_index.to(device=device, dtype=torch.long).contiguous()
        self.edge_type = edge_type.to(device=device, dtype=torch.long).contiguous()
        self.config.n_entity_edges = int(edge_type.numel())
        self.conv._structure_key = None

    def forward(self) -> torch.Tensor:
        return self.conv(self.edge_index, self.edge_type)


# Copied from crs_hf.models.layers.attention.CRSSelfAttentionPooling with CRS->KBRD
class KBRDSelfAttentionPooling(nn.Module):
    """`user = sum_i softmax_i(tanh(h_i W) v) h_i` over the valid positions of each row.

    KBRD's `SelfAttentionBatch` and KGSF's `SelfAttentionSeq` in one batched layer, with parameters `weight`
    `(kg_emb_dim, kg_emb_dim)` and `vector` `(kg_emb_dim,)`. A row without a valid position gives the zero vector:
    KBRD's choice for a user who has mentioned nothing yet (KGSF's code attended uniformly to the padding instead).

    Reads `config.kg_emb_dim`.
    """

    def __init__(self, config):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(config.kg_emb_dim, config.kg_emb_dim))
        self.vector = nn.Parameter(torch.empty(config.kg_emb_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform with gain 1.414, as both papers' code."""
        init.xavier_uniform_(self.weight, gain=1.414)
        bound = 1.414 * (6.0 / (self.vector.shape[0] + 1)) ** 0.5  # xavier over the (dim, 1) matrix it was
        init.uniform_(self.vector, -bound, bound)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """`states`: `(batch, length, dim)`; `mask`: `(batch, length)`, True where valid. Returns `(batch, dim)`."""
        scores = torch.tanh(states @ self.weight) @ self.vector  # (batch, length)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1) * mask  # all-padding rows -> all zeros
        return (weights.unsqueeze(1) @ states).squeeze(1)


# Copied from crs_hf.models.layers.scoring.CRSEntityScorer with CRS->KBRD
class KBRDEntityScorer(nn.Module):
    """`score_i = user . entity_vector[ids_i] + bias_i`: CRSLab's `F.linear(user, entity_vectors, bias)`.

    With `entity_ids` (the recommendable items, `config.item_ids`) only those entities are scored, in that order;
    with None every entity is (CRSLab's recommendation training, KGSF's infomax objective). The ids are a
    non-persistent buffer rebuilt from the config.
    """

    def __init__(self, config, entity_ids: list[int] | None):
        super().__init__()
        self.entity_id_list = entity_ids
        self.bias = nn.Parameter(torch.zeros(config.n_entity if entity_ids is None else len(entity_ids)))
        self.register_buffer("entity_ids", None if entity_ids is None else torch.tensor(entity_ids), persistent=False)

    def reset_parameters(self) -> None:
        init.zeros_(self.bias)
        if self.entity_ids is not None:
            init.copy_(self.entity_ids, torch.tensor(self.entity_id_list))

    def forward(self, user_embedding: torch.Tensor, entity_embeddings: torch.Tensor) -> torch.Tensor:
        """`user_embedding` `(batch, dim)`, `entity_embeddings` `(n_entity, dim)` -> `(batch, num_scored)`."""
        if self.entity_ids is not None:
            entity_embeddings = entity_embeddings[self.entity_ids]
        return user_embedding @ entity_embeddings.t() + self.bias


# Copied from crs_hf.models.layers.transformer.sinusoidal_position_codes
def sinusoidal_position_codes(n_positions: int, dim: int) -> torch.Tensor:
    """ParlAI's `(n_positions, dim)` codes: sin in even columns, cos in odd ones, frequencies 10000^(2j/dim)."""
    angles = torch.arange(n_positions, dtype=torch.float64)[:, None] / torch.pow(
        10000.0, 2 * torch.arange(dim // 2, dtype=torch.float64) / dim
    )
    codes = torch.zeros(n_positions, dim, dtype=torch.float64)
    codes[:, 0::2], codes[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return codes.float()


# Copied from crs_hf.models.layers.transformer.shift_tokens_right
def shift_tokens_right(labels: torch.Tensor, pad_token_id: int, decoder_start_token_id: int) -> torch.Tensor:
    """Teacher forcing input: `[start] + labels[:-1]`, with the ignored label -100 read as padding."""
    shifted = labels.new_full(labels.shape, pad_token_id)
    shifted[:, 1:] = labels[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == -100, pad_token_id)


# Copied from crs_hf.models.layers.transformer.prepare_decoder_inputs
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


# Copied from crs_hf.models.layers.transformer.CRSTokenEmbedding with CRS->KBRD
class KBRDTokenEmbedding(nn.Embedding):
    """Token embeddings (shared by encoder, decoder and output layer), initialised as ParlAI does: N(0, dim^-1/2)
    with a zero padding row (CRSLab's KBRD/KGSF used kg_emb_dim^-1/2, a slip)."""

    def __init__(self, config):
        super().__init__(config.vocab_size, config.token_emb_dim, padding_idx=config.pad_token_id)

    def reset_parameters(self) -> None:
        init.normal_(self.weight, mean=0.0, std=self.embedding_dim**-0.5)
        if not getattr(self.weight, "_is_hf_initialized", False):
            init.zeros_(self.weight[self.padding_idx])


# Copied from crs_hf.models.layers.transformer.CRSPositionEmbedding with CRS->KBRD
class KBRDPositionEmbedding(nn.Module):
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


# Copied from crs_hf.models.layers.transformer.CRSMultiHeadAttention with CRS->KBRD
class KBRDMultiHeadAttention(nn.Module):
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


# Copied from crs_hf.models.layers.transformer.CRSFeedForward with CRS->KBRD
class KBRDFeedForward(nn.Module):
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


# Copied from crs_hf.models.layers.transformer.CRSTransformerEncoderLayer with CRS->KBRD
class KBRDTransformerEncoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = KBRDMultiHeadAttention(config)
        self.attention_norm = nn.LayerNorm(config.token_emb_dim)
        self.ffn = KBRDFeedForward(config)
        self.ffn_norm = nn.LayerNorm(config.token_emb_dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        attended = self.attention(hidden_states, attention_mask[:, None, :])
        hidden_states = self.attention_norm(hidden_states + self.dropout(attended))
        hidden_states = self.ffn_norm(hidden_states + self.dropout(self.ffn(hidden_states)))
        return hidden_states * attention_mask.unsqueeze(-1)


# Copied from crs_hf.models.layers.transformer.CRSTransformerEncoder with CRS->KBRD
class KBRDTransformerEncoder(nn.Module):
    """Encodes embedded context tokens; positions count valid tokens only, so left padding works too."""

    def __init__(self, config):
        super().__init__()
        self.n_positions = config.n_positions
        self.embed_scale = math.sqrt(config.token_emb_dim) if config.embeddings_scale else 1.0
        self.position_embeddings = KBRDPositionEmbedding(config)
        self.layers = nn.ModuleList(KBRDTransformerEncoderLayer(config) for _ in range(config.n_layers))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """`inputs_embeds`: `(batch, length, dim)`; `attention_mask`: `(batch, length)` bool. Returns the states."""
        if inputs_embeds.shape[1] > self.n_positions:
            raise ValueError(f"the context has {inputs_embeds.shape[1]} tokens, but the model has "
                             f"n_positions={self.n_positions}; truncate the context")
        positions = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
        hidden_states = inputs_embeds * self.embed_scale + self.position_embeddings(positions)
        hidden_states = self.dropout(hidden_states) * attention_mask.unsqueeze(-1)
        for layer in self.layers:
            hidden_states = layer(hidden_states, attention_mask)
        return hidden_states


# Copied from crs_hf.models.layers.transformer.CRSTransformerDecoderLayer with CRS->KBRD
class KBRDTransformerDecoderLayer(nn.Module):
    """Causal self-attention, then one attention per memory (in the order given), then the feed-forward."""

    def __init__(self, config, layer_idx: int, n_memories: int = 1):
        super().__init__()
        dim = config.token_emb_dim
        self.self_attention = KBRDMultiHeadAttention(config, cache_index=layer_idx)
        self.self_attention_norm = nn.LayerNorm(dim)
        self.memory_attentions = nn.ModuleList(
            KBRDMultiHeadAttention(config, cache_index=layer_idx * n_memories + k, is_cross_attention=True)
            for k in range(n_memories)
        )
        self.memory_norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(n_memories))
        self.ffn = KBRDFeedForward(config)
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


# Copied from crs_hf.models.layers.transformer.CRSTransformerDecoder with CRS->KBRD
class KBRDTransformerDecoder(nn.Module):
    """Decodes embedded response tokens given `n_memories` memories, each a `(states, bool mask)` pair."""

    def __init__(self, config, n_memories: int = 1):
        super().__init__()
        self.n_positions, self.n_memories = config.n_positions, n_memories
        self.embed_scale = math.sqrt(config.token_emb_dim) if config.embeddings_scale else 1.0
        self.position_embeddings = KBRDPositionEmbedding(config)
        self.layers = nn.ModuleList(
            KBRDTransformerDecoderLayer(config, layer_idx, n_memories) for layer_idx in range(config.n_layers)
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


# Copied from crs_hf.models.layers.transformer.CRSGenerationEncoder with CRS->KBRD
class KBRDGenerationEncoder:
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


# Copied from crs_hf.models.layers.loss.token_cross_entropy
def token_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, num_items_in_batch: torch.Tensor | int | None = None
) -> torch.Tensor:
    """Cross-entropy of `(batch, length, vocab)` logits against `(batch, length)` labels, -100 ignored.

    The mean over labelled tokens; with `num_items_in_batch` (the labelled tokens of every micro-batch of one
    optimizer step, which `Trainer` passes), the sum divided by it, so gradient accumulation weighs every token
    equally. Also right for log-probabilities (log_softmax leaves them unchanged).
    """
    loss = nn.functional.cross_entropy(
        logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100,
        reduction="mean" if num_items_in_batch is None else "sum",
    )
    if num_items_in_batch is not None:
        loss = loss / torch.as_tensor(num_items_in_batch, device=loss.device)
    return loss


@dataclass
class KBRDModelOutput(ModelOutput):
    """
    Args:
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            Attention-pooled R-GCN vectors of the context entities (zeros for a context without entities).
        entity_embeddings (`torch.FloatTensor` of shape `(n_entity, kg_emb_dim)`):
            R-GCN output for every entity.
    """

    user_embedding: torch.FloatTensor | None = None
    entity_embeddings: torch.FloatTensor | None = None


@dataclass
class KBRDRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue (`config.item_ids` order).
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


@dataclass
class KBRDEncoderOutput(ModelOutput):
    """What the decoder attends to; computed once per batch by `generate()`.

    Args:
        last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens (zero at padding).
        attention_mask (`torch.BoolTensor` of shape `(batch_size, context_length)`):
            True at context tokens.
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector that biases the vocabulary.
    """

    last_hidden_state: torch.FloatTensor | None = None
    attention_mask: torch.BoolTensor | None = None
    user_embedding: torch.FloatTensor | None = None


@dataclass
class KBRDConversationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, target_length, vocab_size)`):
            Next-token scores: tied output embedding plus the user's vocabulary bias.
        past_key_values (`EncoderDecoderCache`, returned when `use_cache=True`):
            Self- and cross-attention keys/values for the next decoding step.
        encoder_last_hidden_state (`torch.FloatTensor` of shape `(batch_size, context_length, token_emb_dim)`):
            Encoded context tokens.
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: EncoderDecoderCache | None = None
    encoder_last_hidden_state: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
KBRD_INITIALIZED_LAYERS = (
    KBRDEntityScorer, KBRDFeedForward, KBRDMultiHeadAttention, KBRDPositionEmbedding, KBRDRelationalGraphConv,
    KBRDSelfAttentionPooling, KBRDTokenEmbedding,
)


class KBRDPreTrainedModel(PreTrainedModel):
    config_class = KBRDConfig
    base_model_prefix = "model"
    main_input_name = "context_entities"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, KBRD_INITIALIZED_LAYERS):
            module.reset_parameters()

    def set_entity_graph(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> None:
        """Stores the entity graph: `edge_index` `(2, num_edges)` from source to target entity, `edge_type`
        `(num_edges,)` relation ids, e.g. from `crs_hf.data.load_graph(name)`. Sets `config.n_entity_edges`."""
        self.base_model.entity_encoder.set_graph(edge_index, edge_type)


class KBRDModel(KBRDPreTrainedModel):
    """The knowledge part shared by both heads: R-GCN entity vectors and the attention-pooled user vector."""

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.entity_encoder = KBRDEntityGraphEncoder(config)
        self.user_attention = KBRDSelfAttentionPooling(config)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor) -> KBRDModelOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        """
        if context_entities is None:
            raise ValueError("KBRD needs context_entities: (batch, num_entities) entity ids padded with pad_entity_id")
        entity_embeddings = self.entity_encoder()
        mask = context_entities != self.config.pad_entity_id
        user_embedding = self.user_attention(entity_embeddings[context_entities], mask)
        return KBRDModelOutput(user_embedding=user_embedding, entity_embeddings=entity_embeddings)


class KBRDForRecommendation(KBRDPreTrainedModel):
    """Scores each item by `user . entity_vector(item) + bias(item)` (CRSLab: `F.linear(user, kg, rec_bias.bias)`)."""

    _keys_to_ignore_on_load_unexpected = [r"^(embed_tokens|conv_encoder|conv_decoder|user_proj_1|user_proj_2)\."]

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.model = KBRDModel(config)
        self.item_scorer = KBRDEntityScorer(config, config.item_ids)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor, rec_labels: torch.LongTensor | None = None
                ) -> KBRDRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`, not an entity id); -100 is
            ignored. A turn recommending several items becomes one row per item, as in CRSLab.
        """
        outputs = self.model(context_entities)
        rec_logits = self.item_scorer(outputs.user_embedding, outputs.entity_embeddings)
        loss = None
        if rec_labels is not None:
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return KBRDRecommendationOutput(loss=loss, rec_logits=rec_logits, user_embedding=outputs.user_embedding)


class KBRDForConversation(KBRDPreTrainedModel, GenerationMixin):
    """Transformer encoder-decoder; `logits = h W_emb^T + MLP(user)`, KBRD's user-aware vocabulary bias."""

    main_input_name = "input_ids"
    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`
    _keys_to_ignore_on_load_unexpected = [r"^item_scorer\."]

    def __init__(self, config: KBRDConfig):
        super().__init__(config)
        self.model = KBRDModel(config)
        self.embed_tokens = KBRDTokenEmbedding(config)
        self.conv_encoder = KBRDTransformerEncoder(config)
        self.conv_decoder = KBRDTransformerDecoder(config, n_memories=1)
        self.user_proj_1 = nn.Linear(config.kg_emb_dim, config.user_proj_dim)
        self.user_proj_2 = nn.Linear(config.user_proj_dim, config.vocab_size)
        self.post_init()

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False  # forward starts its own EncoderDecoderCache (its cross-attention slots are not per layer)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def get_encoder(self) -> KBRDGenerationEncoder:
        return KBRDGenerationEncoder(self.encode)

    def encode(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> KBRDEncoderOutput:
        """Encodes the context tokens and the context entities (the graph runs once per batch here)."""
        if output_attentions or output_hidden_states:
            raise ValueError("KBRD returns neither attentions nor per-layer hidden states")
        mask = input_ids != self.config.pad_token_id if attention_mask is None else attention_mask.bool()
        hidden_states = self.conv_encoder(self.embed_tokens(input_ids), mask)
        user_embedding = self.model(context_entities).user_embedding
        return KBRDEncoderOutput(last_hidden_state=hidden_states, attention_mask=mask, user_embedding=user_embedding)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        context_entities: torch.LongTensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        encoder_outputs: KBRDEncoderOutput | None = None,
        past_key_values: EncoderDecoderCache | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
        return_dict: bool | None = None,
    ) -> KBRDConversationOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            Context tokens (padded with `pad_token_id`); not needed when `encoder_outputs` is given.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens; default `input_ids != pad_token_id`.
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        decoder_input_ids (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            Response tokens fed to the decoder; default `labels` shifted right behind `decoder_start_token_id`.
        encoder_outputs (`KBRDEncoderOutput`, *optional*):
            Output of `encode`, reused across decoding steps.
        past_key_values (`EncoderDecoderCache`, *optional*):
            Cache of the previous decoding steps; `decoder_input_ids` then holds only the new tokens.
        labels (`torch.LongTensor` of shape `(batch_size, target_length)`, *optional*):
            The response followed by `eos_token_id`, padded with -100.
        use_cache (`bool`, *optional*):
            Return `past_key_values`; default `config.use_cache` when no labels are given.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        return_dict (`bool`, *optional*):
            Accepted for `generate()`; the output is always a `KBRDConversationOutput`.
        """
        if encoder_outputs is None:
            encoder_outputs = self.encode(input_ids, attention_mask, context_entities)
        decoder_input_ids, use_cache = prepare_decoder_inputs(self.config, decoder_input_ids, labels, use_cache)
        if use_cache and past_key_values is None:
            past_key_values = EncoderDecoderCache(DynamicCache(), DynamicCache())
        memories = [(encoder_outputs.last_hidden_state, encoder_outputs.attention_mask)]
        hidden_states = self.conv_decoder(self.embed_tokens(decoder_input_ids), memories,
                                          past_key_values if use_cache else None)
        user_bias = self.user_proj_2(torch.relu(self.user_proj_1(encoder_outputs.user_embedding)))
        logits = hidden_states @ self.embed_tokens.weight.t() + user_bias.unsqueeze(1)
        loss = None if labels is None else token_cross_entropy(logits, labels, num_items_in_batch)
        return KBRDConversationOutput(
            loss=loss,
            logits=logits,
            past_key_values=past_key_values if use_cache else None,
            encoder_last_hidden_state=encoder_outputs.last_hidden_state,
            user_embedding=encoder_outputs.user_embedding,
        )


__all__ = ["KBRDForConversation", "KBRDForRecommendation", "KBRDModel", "KBRDPreTrainedModel"]
