"""Padding shared by crs_hf's collators."""

from __future__ import annotations

import torch

__all__ = ["pad_id_lists"]


def pad_id_lists(rows: list[list[int]], value: int, multiple_of: int | None = None) -> torch.Tensor:
    """Right-pads lists of ids with `value` to the longest (at least 1, rounded up to `multiple_of`): (n, width)."""
    width = max(1, max((len(row) for row in rows), default=0))
    if multiple_of:
        width = -(-width // multiple_of) * multiple_of
    return torch.tensor([row + [value] * (width - len(row)) for row in rows], dtype=torch.long)
