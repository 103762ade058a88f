"""GRU4Rec configuration (Hidasi et al., "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from typing import Literal

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_probabilities


@strict
class GRU4RecConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a GRU4Rec recommender ([`GRU4RecForRecommendation`]): a GRU reads the user's item sequence
    (interaction history, where the dataset has one, then the items mentioned in the context) and its state after
    the last item scores the catalogue by dot products with the item embeddings.

    Defaults are CRSLab's `config/recommendation/gru4rec/tgredial.yaml` (`gru_hidden_size`, `embedding_dim`,
    `num_layers`, `dropout_hidden`, `item_truncate`).

    Args:
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` values; the training script sets it). The embedding table has one more row, the
            padding item.
        hidden_size (`int`, *optional*, defaults to 50):
            Item embedding size and GRU state size (CRSLab's `embedding_dim` and `gru_hidden_size`, which its
            dot-product loss needs equal).
        num_layers (`int`, *optional*, defaults to 3):
            Stacked GRU layers.
        dropout_hidden (`float`, *optional*, defaults to 0.0):
            Dropout between GRU layers.
        max_seq_length (`int`, *optional*, defaults to 100):
            The most recent items of the sequence that are read (CRSLab's `item_truncate`).
        loss_type (`str`, *optional*, defaults to `"bce"`):
            `"bce"`: CRSLab's objective, every state targets the next item (the last one the gold item) against one
            sampled negative, by binary cross-entropy. `"cross_entropy"`: softmax cross-entropy of the last state's
            `rec_logits` over the whole catalogue (a deterministic loss; not CRSLab's).
        initializer_range (`float`, *optional*, defaults to 1.0):
            Std of the normal initialisation of the item embeddings (1.0: PyTorch's `nn.Embedding` default, which
            CRSLab keeps); the GRU starts from PyTorch's U(-1/sqrt(hidden), 1/sqrt(hidden)).

    Examples:

    ```python
    >>> from crs_hf.models.gru4rec import GRU4RecConfig, GRU4RecForRecommendation

    >>> configuration = GRU4RecConfig(n_items=20, hidden_size=16, num_layers=2)
    >>> model = GRU4RecForRecommendation(configuration)
    >>> model.config.n_items
    20

    ```"""

    model_type = "crs_gru4rec"
    attribute_map = {"num_hidden_layers": "num_layers"}

    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)
    hidden_size: int = 50
    num_layers: int = 3
    dropout_hidden: float | int = 0.0
    max_seq_length: int = 100
    loss_type: Literal["bce", "cross_entropy"] = "bce"
    initializer_range: float | int = 1.0

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        check_probabilities(self, ("dropout_hidden",))
        if self.n_items < 2:
            raise ValueError(f"n_items must be at least 2 (a sampled negative needs another item), "
                             f"but got {self.n_items}")
        if self.hidden_size < 1 or self.num_layers < 1 or self.max_seq_length < 1:
            raise ValueError(f"hidden_size ({self.hidden_size}), num_layers ({self.num_layers}) and max_seq_length "
                             f"({self.max_seq_length}) must be at least 1")


__all__ = ["GRU4RecConfig"]
