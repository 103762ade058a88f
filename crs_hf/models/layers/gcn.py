"""Graph convolution over the word knowledge graph (KGSF's ConceptNet / HowNet encoder).

KGSF encodes the word graph with torch_geometric's `GCNConv(kg_emb_dim, kg_emb_dim)` over a table of word
embeddings: `X' = D^-1/2 (A + I) D^-1/2 X W + b`, edges untyped, every node given exactly one self-loop (existing
self-loop edges are replaced), degrees counted at the target. `CRSGraphConv` computes the same with a constant
sparse matrix, built once per graph; its parameter names (`lin.weight`, `bias`) are `GCNConv`'s.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from transformers import initialization as init

from .rgcn import check_graph

__all__ = ["CRSGraphConv", "CRSWordGraphEncoder"]


class CRSGraphConv(nn.Module):
    """Equal to `torch_geometric.nn.GCNConv(in_channels, out_channels)` (self-loops added, symmetric norm, bias)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels))
        self._adjacency_key: tuple | None = None
        self._adjacency: torch.Tensor | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.lin.weight)  # torch_geometric's glorot
        init.zeros_(self.bias)

    def _normalized_adjacency(self, edge_index: torch.Tensor, num_nodes: int, dtype: torch.dtype) -> torch.Tensor:
        """D^-1/2 (A + I) D^-1/2 as a (target, source) sparse matrix, cached until the edges change."""
        key = (edge_index.data_ptr(), edge_index._version, edge_index.shape[1], edge_index.device, num_nodes, dtype)
        if key != self._adjacency_key:
            keep = edge_index[0] != edge_index[1]
            loops = torch.arange(num_nodes, device=edge_index.device)
            source = torch.cat([edge_index[0, keep], loops])
            target = torch.cat([edge_index[1, keep], loops])
            degree = torch.bincount(target, minlength=num_nodes).to(dtype)
            inverse_sqrt = degree.pow(-0.5)
            values = inverse_sqrt[source] * inverse_sqrt[target]
            with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
                warnings.simplefilter("ignore", UserWarning)
                coo = torch.sparse_coo_tensor(torch.stack([target, source]), values, (num_nodes, num_nodes),
                                              check_invariants=False)
                self._adjacency = coo.coalesce().to_sparse_csr()
            self._adjacency_key = key
        return self._adjacency

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """`x`: `(num_nodes, in_channels)` node features; returns `(num_nodes, out_channels)`."""
        adjacency = self._normalized_adjacency(edge_index, x.shape[0], x.dtype)
        with torch.autocast(x.device.type, enabled=False):  # sparse kernels: float32 only
            return torch.sparse.mm(adjacency, self.lin(x)) + self.bias


class CRSWordGraphEncoder(nn.Module):
    """Word embeddings and the word-graph GCN: `forward()` gives every word's `(n_word, kg_emb_dim)` vector.

    The edges are a persistent buffer of `config.n_word_edges` columns, saved with the weights; load a graph with
    `set_graph` (e.g. the `edge_index` of `crs_hf.data.load_graph(name, "word_kg")`).

    Reads `config.n_word`, `config.kg_emb_dim`, `config.pad_word_id`, `config.n_word_edges`.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.word_embeddings = nn.Embedding(config.n_word, config.kg_emb_dim, padding_idx=config.pad_word_id)
        self.conv = CRSGraphConv(config.kg_emb_dim, config.kg_emb_dim)
        self.register_buffer("edge_index", torch.zeros(2, config.n_word_edges, dtype=torch.long))

    def reset_parameters(self) -> None:
        """KGSF's word embeddings: normal with std kg_emb_dim^-1/2, the padding word zero."""
        weight = self.word_embeddings.weight
        init.normal_(weight, mean=0.0, std=self.config.kg_emb_dim**-0.5)
        if not getattr(weight, "_is_hf_initialized", False):
            init.zeros_(weight[self.config.pad_word_id])

    @torch.no_grad()
    def set_graph(self, edge_index: torch.Tensor) -> None:
        """Replaces the graph (validated against `config.n_word`) and records its size in `config.n_word_edges`."""
        edge_index = torch.as_tensor(edge_index)
        check_graph(edge_index, None, self.config.n_word, 1)
        self.edge_index = edge_index.to(device=self.edge_index.device, dtype=torch.long).contiguous()
        self.config.n_word_edges = int(edge_index.shape[1])
        self.conv._adjacency_key = None

    def forward(self) -> torch.Tensor:
        return self.conv(self.word_embeddings.weight, self.edge_index)
