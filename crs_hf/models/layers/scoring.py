"""Scoring entities (the item catalogue, or every entity) against a user vector (KBRD, KGSF)."""

from __future__ import annotations

import torch
from torch import nn
from transformers import initialization as init

__all__ = ["CRSEntityScorer"]


class CRSEntityScorer(nn.Module):
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
