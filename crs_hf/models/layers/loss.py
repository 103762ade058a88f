"""Token-level cross-entropy shared by the conversation heads."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["token_cross_entropy"]


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
