"""AutoRec (Sedhain et al., WWW 2015), the recommender of ReDial (Li et al., NeurIPS 2018) as CRSLab trains it."""

from __future__ import annotations

import torch
from torch import nn
from transformers import initialization as init

__all__ = ["CRSAutoRec"]

ACTIVATIONS = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


class CRSAutoRec(nn.Module):
    """`scores = g(W_out f(... f(W_in x + b)))`, with `x` the vector of the context entities.

    With `config.autorec_input="mean"` (CRSLab), `x` gives each of a context's n distinct entities 1/n (CRSLab's
    `get_onehot`); with `"sum"`, 1 (a multi-hot vector). `W_in x` is computed as the mean or sum of embedding rows
    (`nn.EmbeddingBag`), which equals CRSLab's `nn.Linear` over an `(n_entity,)` vector without building it;
    repeated ids count once, padding not at all, and a context without entities gives `x = 0`. The output covers the
    item catalogue (`config.item_ids`, or every entity when it is None).

    Reads `config.n_entity`, `config.pad_entity_id`, `config.n_items`, `config.autorec_layer_sizes`,
    `config.autorec_input`, `config.autorec_f`, `config.autorec_g`.
    """

    def __init__(self, config):
        super().__init__()
        sizes = config.autorec_layer_sizes
        self.pad_entity_id = config.pad_entity_id
        self.entity_embeddings = nn.EmbeddingBag(config.n_entity, sizes[0], mode=config.autorec_input,
                                                 padding_idx=config.pad_entity_id)
        self.input_bias = nn.Parameter(torch.empty(sizes[0]))
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.output = nn.Linear(sizes[-1], config.n_items)
        self.f, self.g = ACTIVATIONS[config.autorec_f](), ACTIVATIONS[config.autorec_g]()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """`nn.Linear`'s default for the input layer, U(-1/sqrt(n_entity), 1/sqrt(n_entity))."""
        bound = self.entity_embeddings.num_embeddings**-0.5
        init.uniform_(self.entity_embeddings.weight, -bound, bound)
        init.uniform_(self.input_bias, -bound, bound)

    def forward(self, context_entities: torch.Tensor) -> torch.Tensor:
        """`context_entities`: `(batch, length)` entity ids padded with `pad_entity_id`. Returns `(batch, n_items)`."""
        ids, _ = context_entities.sort(dim=-1)
        repeated = torch.zeros_like(ids, dtype=torch.bool)
        repeated[:, 1:] = ids[:, 1:] == ids[:, :-1]
        hidden = self.f(self.entity_embeddings(ids.masked_fill(repeated, self.pad_entity_id)) + self.input_bias)
        for layer in self.hidden_layers:
            hidden = self.f(layer(hidden))
        return self.g(self.output(hidden))
