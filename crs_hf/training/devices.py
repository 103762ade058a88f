"""What crs_hf's trainers share: device defaults and keeping the model card a script wrote."""

from __future__ import annotations

import os

import torch

__all__ = ["CPUWhenNoAccelerator", "KeepWrittenModelCard", "accelerator_available", "close_process_group"]


def accelerator_available() -> bool:
    """Whether torch sees a GPU (CUDA/ROCm), an Apple GPU or an Intel XPU."""
    xpu = getattr(torch, "xpu", None)
    return torch.cuda.is_available() or torch.backends.mps.is_available() or bool(xpu and xpu.is_available())


def close_process_group() -> None:
    """Destroys the default process group, if any, at the end of a launched script: a gloo group left to interpreter
    shutdown now and then aborts a process ("terminate called without an active exception"), failing the launch."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


class CPUWhenNoAccelerator:
    """`TrainingArguments` mixin: `use_cpu=True` on a machine without an accelerator. Without it a CPU-only
    `accelerate launch --num_processes 2` runs two separate trainings: the Trainer only joins CPU processes (gloo)
    when told it runs on CPU."""

    def __post_init__(self):
        if not self.use_cpu and not accelerator_available():
            self.use_cpu = True
        super().__post_init__()


class KeepWrittenModelCard:
    """Trainer mixin: `create_model_card` (called by `push_to_hub`) keeps the README.md a training script already
    wrote from crs_hf's templates (with the evaluation results) instead of replacing it with the generic card."""

    def create_model_card(self, *args, **kwargs) -> None:
        if os.path.isfile(os.path.join(self.args.output_dir, "README.md")):
            return
        super().create_model_card(*args, **kwargs)
