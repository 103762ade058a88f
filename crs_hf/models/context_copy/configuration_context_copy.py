"""ContextCopy configuration: the recommend-what-was-already-mentioned baseline."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin
from crs_hf.models.layers.popularity import check_popularity_config


@strict
class ContextCopyConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of the ContextCopy recommender ([`ContextCopyForRecommendation`]): the items already mentioned
    in the context are ranked first, the most recently mentioned first, then every other item by its popularity
    in training (counted by `observe()`, as [`PopularityForRecommendation`] does). It has no weights.

    Args:
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` and `context_item_positions` values; the training script sets it).
        smoothing (`float`, *optional*, defaults to 1.0):
            Added to every gold-item count before normalising (add-one smoothing) for the popularity part of the
            ranking. Must be > 0.

    Examples:

    ```python
    >>> from crs_hf.models.context_copy import ContextCopyConfig, ContextCopyForRecommendation

    >>> configuration = ContextCopyConfig(n_items=5)
    >>> model = ContextCopyForRecommendation(configuration)
    >>> model.config.n_items
    5

    ```"""

    model_type = "crs_context_copy"

    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)
    smoothing: float | int = 1.0

    def validate_architecture(self):
        """Checks `n_items` and `smoothing`; each error names the value."""
        check_popularity_config(self)


__all__ = ["ContextCopyConfig"]
