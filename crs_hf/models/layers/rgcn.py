"""Relational graph convolution over a knowledge graph whose node embeddings are parameters (KBRD, KGSF).

KBRD (Chen et al., EMNLP 2019) and KGSF (Zhou et al., KDD 2020) encode the DBpedia entity graph with one R-GCN
layer (Schlichtkrull et al., 2018) that has no input features: torch_geometric's
`RGCNConv(n_entity, kg_emb_dim, n_relation, num_bases=8)` called with `x=None`. Its output for node i is

    h_i = root_i + bias + sum_r mean_{j in N_r(i)} W_r[j],    W_r = sum_b comp[r, b] * basis_b

`RGCNConv` materialises every `W_r` (n_relation x n_entity x dim floats: 1.2 GB for ReDial's 35 relations) and runs
one message pass per relation. `CRSRelationalGraphConv` computes the same sum as one sparse matrix product: the
per-edge weights `comp[type, b] / deg_type(dst)` form an `(n_entity, num_bases * n_entity)` matrix that multiplies
the stacked bases, and a custom backward gets the gradient of those weights with one sampled dense-dense product
(`torch.sparse.sampled_addmm`) instead of materialising anything dense. Same parameters, same names
(`weight`, `comp`, `root`, `bias`), same results; `benchmarks/bench_rgcn.py` measures the speed-up.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn
from transformers import initialization as init

__all__ = ["CRSEntityGraphEncoder", "CRSRelationalGraphConv", "check_graph"]


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


def _csr(rows: torch.Tensor, cols: torch.Tensor, num_rows: int, num_cols: int) -> tuple[torch.Tensor, ...]:
    """CSR structure of the entries (rows, cols): row pointers, column indices, and the entry order it sorts to."""
    order = torch.argsort(rows * num_cols + cols)
    crow = torch.zeros(num_rows + 1, dtype=torch.long, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=num_rows), 0)
    return crow, cols[order], order


def _sparse_csr(structure: tuple[torch.Tensor, ...], values: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    crow, col, order = structure
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values[order], size, check_invariants=False)


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


class CRSRelationalGraphConv(nn.Module):
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


class CRSEntityGraphEncoder(nn.Module):
    """The entity knowledge graph and its R-GCN: `forward()` gives every entity's `(n_entity, kg_emb_dim)` vector.

    The edges are persistent buffers, saved with the weights in `model.safetensors`; their number is
    `config.n_entity_edges`, so that a model rebuilt from its config has buffers of the saved shape. Load a graph
    with `set_graph` (e.g. the `edge_index` / `edge_type` of `crs_hf.data.load_graph`).

    Reads `config.n_entity`, `config.kg_emb_dim`, `config.n_relation`, `config.num_bases`, `config.n_entity_edges`.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.conv = CRSRelationalGraphConv(config.n_entity, config.kg_emb_dim, config.n_relation, config.num_bases)
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
