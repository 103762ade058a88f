"""SASRec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018), as CRSLab's
`crslab/model/recommendation/sasrec/{sasrec,modules}.py` builds it.

The user's item sequence (TG-ReDial's interaction history, then the items mentioned in the context, the most
recent `max_seq_length` kept; `crs_hf.models.layers.item_sequence`) is left-padded to `max_seq_length`, so its
last item sits at the last position. Item plus position embeddings, layer-normed, go through post-norm blocks of
causal self-attention over the items and a feed-forward layer (BERT's layout):

    x = LN(e_item + e_pos);   x = LN(x + Attn(x));   x = LN(x + W_2 act(W_1 x))
    rec_logits[i] = x_last . e_i

The attention adds -10000 to the scores of padding keys and of later positions (CRSLab's mask). The loss
(`loss_type="bce"`) is CRSLab's: the output at each item targets the next item, at the last one the gold item,
each against one negative drawn from the items not in the sequence, by binary cross-entropy.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

import torch
from torch import nn
from transformers.activations import ACT2FN
from transformers.utils import logging

from crs_hf.models.layers.item_sequence import (
    CRSSequenceModelOutput,
    CRSSequentialRecommenderMixin,
    item_sequences,
)
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_sasrec import SASRecConfig

logger = logging.get_logger(__name__)

MASKED_SCORE = -10000.0  # CRSLab's additive mask: a query without any visible key averages every position


class SASRecEmbeddings(nn.Module):
    """`Dropout(LayerNorm(item_embedding + position_embedding))`; the padding item is row `n_items`."""

    def __init__(self, config: SASRecConfig):
        super().__init__()
        self.item_embeddings = nn.Embedding(config.n_items + 1, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_seq_length, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, item_ids: torch.LongTensor) -> torch.Tensor:
        positions = torch.arange(item_ids.shape[1], device=item_ids.device)
        return self.dropout(self.layer_norm(self.item_embeddings(item_ids) + self.position_embeddings(positions)))


class SASRecSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with an additive mask, then `LayerNorm(x + Dropout(W_o a))`."""

    def __init__(self, config: SASRecConfig):
        super().__init__()
        self.n_heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.attention_dropout = config.attention_probs_dropout_prob
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def _heads(self, states: torch.Tensor) -> torch.Tensor:
        batch, length, dim = states.shape
        return states.view(batch, length, self.n_heads, dim // self.n_heads).transpose(1, 2)

    def forward(self, hidden_states: torch.Tensor, attention_bias: torch.Tensor) -> torch.Tensor:
        """`attention_bias` `(batch, 1, length, length)`: 0 where a key may be seen, `MASKED_SCORE` elsewhere."""
        attended = nn.functional.scaled_dot_product_attention(
            self._heads(self.query(hidden_states)), self._heads(self.key(hidden_states)),
            self._heads(self.value(hidden_states)), attn_mask=attention_bias,
            dropout_p=self.attention_dropout if self.training else 0.0,
        )
        attended = attended.transpose(1, 2).reshape(hidden_states.shape)
        return self.layer_norm(hidden_states + self.dropout(self.dense(attended)))


class SASRecFeedForward(nn.Module):
    """`LayerNorm(x + Dropout(W_2 act(W_1 x)))` (CRSLab's `Intermediate`)."""

    def __init__(self, config: SASRecConfig):
        super().__init__()
        self.dense_1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dense_2 = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        inner = self.dense_2(self.activation(self.dense_1(hidden_states)))
        return self.layer_norm(hidden_states + self.dropout(inner))


class SASRecLayer(nn.Module):
    """One block: `SASRecSelfAttention`, then `SASRecFeedForward`."""

    def __init__(self, config: SASRecConfig):
        super().__init__()
        self.attention = SASRecSelfAttention(config)
        self.feed_forward = SASRecFeedForward(config)

    def forward(self, hidden_states: torch.Tensor, attention_bias: torch.Tensor) -> torch.Tensor:
        return self.feed_forward(self.attention(hidden_states, attention_bias))


class SASRecPreTrainedModel(CRSPreTrainedModel):
    """Embeddings and linear weights N(0, initializer_range), zero biases, unit layer norms: exactly
    `PreTrainedModel._init_weights` (and CRSLab's `init_sas_weights`), so nothing to add."""

    config_class = SASRecConfig
    base_model_prefix = "model"
    main_input_name = "context_item_positions"


class SASRecModel(SASRecPreTrainedModel):
    """Item and position embeddings and the causal self-attention blocks over the user's item sequence."""

    def __init__(self, config: SASRecConfig):
        super().__init__(config)
        self.embeddings = SASRecEmbeddings(config)
        self.layers = nn.ModuleList(SASRecLayer(config) for _ in range(config.num_hidden_layers))
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.item_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.item_embeddings = value

    def forward(self, context_item_positions: torch.LongTensor,
                history_item_positions: torch.LongTensor | None = None) -> CRSSequenceModelOutput:
        r"""
        context_item_positions (`torch.LongTensor` of shape `(batch_size, num_items)`):
            Catalogue positions of the items mentioned so far, in dialog order, padded with -1.
        history_item_positions (`torch.LongTensor` of shape `(batch_size, num_history_items)`, *optional*):
            Catalogue positions of the user's earlier interactions (TG-ReDial), padded with -1; read before the
            context items.
        """
        n_items, width = self.config.n_items, self.config.max_seq_length
        sequence = item_sequences(context_item_positions, history_item_positions, n_items, width,
                                  left_aligned=False, width=width)
        hidden_states = self.embeddings(sequence.ids)
        causal = torch.ones(width, width, dtype=torch.bool, device=hidden_states.device).tril()
        visible = sequence.mask[:, None, None, :] & causal
        attention_bias = (~visible).to(hidden_states.dtype) * MASKED_SCORE
        for layer in self.layers:
            hidden_states = layer(hidden_states, attention_bias)
        return CRSSequenceModelOutput(last_hidden_state=hidden_states, sequence_embedding=hidden_states[:, -1],
                                      item_sequence=sequence)


class SASRecForRecommendation(CRSSequentialRecommenderMixin, SASRecPreTrainedModel):
    """rec_logits = (last block's output at the last position) . item embeddings; CRSLab's next-item loss. Its
    `forward`, from `CRSSequentialRecommenderMixin`, returns a `CRSSequentialRecommendationOutput`."""

    def __init__(self, config: SASRecConfig):
        super().__init__(config)
        self.model = SASRecModel(config)
        self.post_init()


__all__ = ["SASRecForRecommendation", "SASRecModel", "SASRecPreTrainedModel"]
