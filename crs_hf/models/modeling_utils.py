"""`CRSPreTrainedModel`: the base class of every crs_hf model."""

from __future__ import annotations

from transformers import PreTrainedModel

__all__ = ["CRSPreTrainedModel"]


class CRSPreTrainedModel(PreTrainedModel):
    """Base of every crs_hf model's `XxxPreTrainedModel`.

    crs_hf checkpoints load through the library (`import crs_hf` registers every model type with the Auto
    classes), not through copied remote code.
    """
