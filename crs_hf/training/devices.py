"""Device defaults shared by crs_hf's training configs."""

from __future__ import annotations

import torch

__all__ = ["accelerator_available"]


def accelerator_available() -> bool:
    """Whether torch sees a GPU (CUDA/ROCm), an Apple GPU or an Intel XPU."""
    xpu = getattr(torch, "xpu", None)
    return torch.cuda.is_available() or torch.backends.mps.is_available() or bool(xpu and xpu.is_available())
