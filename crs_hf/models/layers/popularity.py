"""Item popularity learnt by counting (the Popularity and ContextCopy baselines).

The counts of how often each catalogue item was a gold item live in a persistent buffer (saved in
`model.safetensors`); `observe(rec_labels)` adds a training batch's gold items, and the add-`smoothing`
distribution over the catalogue is

    p_i = (c_i + smoothing) / (sum_j c_j + smoothing * n_items).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import initialization as init

from .item_sequence import check_rec_labels

__all__ = ["CRSCountingModelMixin", "CRSItemPopularity", "batch_size_of", "check_popularity_config"]


def check_popularity_config(config) -> None:
    """`config.n_items` >= 1 and `config.smoothing` > 0 (every item keeps a non-zero probability)."""
    if config.n_items < 1:
        raise ValueError(f"n_items must be at least 1, but got {config.n_items}")
    if config.smoothing <= 0:
        raise ValueError(f"smoothing must be > 0 (added to every count), but got {config.smoothing}")


def batch_size_of(context_item_positions: torch.Tensor | None, rec_labels: torch.Tensor | None) -> int:
    """The batch size of a counting model's forward, which reads no other input."""
    for tensor in (context_item_positions, rec_labels):
        if tensor is not None:
            return tensor.shape[0]
    raise ValueError("pass context_item_positions or rec_labels: the batch size is read from them")


class CRSItemPopularity(nn.Module):
    """Gold-item counts over the catalogue and their smoothed log-probabilities.

    Reads `config.n_items` and `config.smoothing`.
    """

    def __init__(self, config):
        super().__init__()
        self.smoothing = config.smoothing
        self.register_buffer("item_counts", torch.zeros(config.n_items, dtype=torch.long))

    def reset_parameters(self) -> None:
        init.zeros_(self.item_counts)

    @torch.no_grad()
    def observe(self, rec_labels: torch.LongTensor) -> None:
        """Adds one to the count of each gold item of `rec_labels` `(batch,)` (-100 is ignored)."""
        n_items = self.item_counts.shape[0]
        check_rec_labels(rec_labels, n_items)
        gold = rec_labels[rec_labels != -100].to(self.item_counts.device)
        self.item_counts += torch.bincount(gold, minlength=n_items)

    def log_probabilities(self) -> torch.Tensor:
        """`(n_items,)` log p_i of the smoothed popularity distribution (float32, computed in float64)."""
        counts = self.item_counts.double() + self.smoothing
        return (counts / counts.sum()).log().float()


class CRSCountingModelMixin:
    """For a `PreTrainedModel` whose state is a `CRSItemPopularity` at `base_model.popularity` (and no parameters):
    `observe()`, zero counts at initialisation (a loaded checkpoint keeps its own), and `device` / `dtype`, which
    `PreTrainedModel` reads from the parameters."""

    def observe(self, rec_labels: torch.LongTensor, **ignored) -> None:
        """Counts the gold items of a training batch: `rec_labels` `(batch,)` catalogue positions, -100 ignored.
        Takes the whole batch (`model.observe(**batch)`); the other inputs are not read."""
        self.base_model.popularity.observe(rec_labels)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, CRSItemPopularity):
            module.reset_parameters()

    @property
    def device(self) -> torch.device:
        return next(self.buffers()).device

    @property
    def dtype(self) -> torch.dtype:
        return torch.float32
