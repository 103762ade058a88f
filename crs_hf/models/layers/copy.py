"""KGSF's copy mechanism: a second vocabulary distribution over the words a response may copy from the KGs."""

from __future__ import annotations

import torch
from torch import nn
from transformers import initialization as init

__all__ = ["CRSCopyHead"]


class CRSCopyHead(nn.Module):
    """`copy_logits = Linear(Linear([entity_user; word_user; h_t])) * copy_mask`, added to the generation logits.

    KGSF scores every vocabulary token from the decoder state joined with the entity and word user vectors, and
    keeps the score only for tokens in `copy_mask` (KGSF's `copy_mask.npy`: the tokens that are knowledge-graph
    words or item mentions); masked tokens get 0, not -inf, as in KGSF. The mask is a persistent `(vocab_size,)`
    bool buffer, all True until `set_copy_mask` loads a dataset's.

    Reads `config.token_emb_dim`, `config.vocab_size`.
    """

    def __init__(self, config):
        super().__init__()
        dim = config.token_emb_dim
        self.copy_norm = nn.Linear(3 * dim, dim)
        self.copy_output = nn.Linear(dim, config.vocab_size)
        self.register_buffer("copy_mask", torch.ones(config.vocab_size, dtype=torch.bool))

    def reset_parameters(self) -> None:
        init.ones_(self.copy_mask)

    @torch.no_grad()
    def set_copy_mask(self, copy_mask: torch.Tensor) -> None:
        copy_mask = torch.as_tensor(copy_mask)
        if copy_mask.shape != self.copy_mask.shape:
            raise ValueError(f"copy_mask must have shape {tuple(self.copy_mask.shape)} (vocab_size,), "
                             f"but got {tuple(copy_mask.shape)}")
        self.copy_mask.copy_(copy_mask.bool())

    def forward(self, hidden_states: torch.Tensor, entity_user: torch.Tensor, word_user: torch.Tensor) -> torch.Tensor:
        """`hidden_states`: `(batch, length, dim)`; user vectors `(batch, dim)`. Returns `(batch, length, vocab)`."""
        length = hidden_states.shape[1]
        users = [user.unsqueeze(1).expand(-1, length, -1) for user in (entity_user, word_user)]
        copy_logits = self.copy_output(self.copy_norm(torch.cat([*users, hidden_states], dim=-1)))
        return copy_logits * self.copy_mask
