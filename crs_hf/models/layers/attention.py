"""Self-attention pooling of a user's context entities (or words) into one user vector (KBRD, KGSF)."""

from __future__ import annotations

import torch
from torch import nn
from transformers import initialization as init

__all__ = ["CRSSelfAttentionPooling"]


class CRSSelfAttentionPooling(nn.Module):
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
