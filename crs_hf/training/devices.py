"""What crs_hf's trainers share: device defaults and keeping the model card a script wrote."""

from __future__ import annotations

import os

import torch

__all__ = ["KeepWrittenModelCard", "accelerator_available"]


def accelerator_available() -> bool:
    """Whether torch sees a GPU (CUDA/ROCm), an Apple GPU or an Intel XPU."""
    xpu = getattr(torch, "xpu", None)
    return torch.cuda.is_available() or torch.backends.mps.is_available() or bool(xpu and xpu.is_available())


class KeepWrittenModelCard:
    """Trainer mixin: `create_model_card` (called by `push_to_hub`) keeps the README.md a training script already
    wrote from crs_hf's templates (with the evaluation results) instead of replacing it with the generic card."""

    def create_model_card(self, *args, **kwargs) -> None:
        if os.path.isfile(os.path.join(self.args.output_dir, "README.md")):
            return
        super().create_model_card(*args, **kwargs)
