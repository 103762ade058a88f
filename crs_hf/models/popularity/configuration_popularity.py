"""Popularity configuration: the most-recommended-items baseline of CRSLab's recommendation models."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin
from crs_hf.models.layers.popularity import check_popularity_config


@strict
class PopularityConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of the Popularity recommender ([`PopularityForRecommendation`]): every catalogue item is scored
    by how often it was a gold item in the training turns, whatever the context. It has no weights; its counts are
    a buffer filled by `observe()` (it is trained by counting, not by gradient steps).

    Args:
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` values; the training script sets it).
        smoothing (`float`, *optional*, defaults to 1.0):
            Added to every count before normalising (add-one smoothing), so an item never seen in training keeps a
            finite log-probability and the validation loss stays finite. Must be > 0.

    Examples:

    ```python
    >>> from crs_hf.models.popularity import PopularityConfig, PopularityForRecommendation

    >>> configuration = PopularityConfig(n_items=5)
    >>> model = PopularityForRecommendation(configuration)
    >>> model.config.n_items
    5

    ```"""

    model_type = "crs_popularity"

    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)
    smoothing: float | int = 1.0

    def validate_architecture(self):
        """Checks `n_items` and `smoothing`; each error names the value."""
        check_popularity_config(self)


__all__ = ["PopularityConfig"]
