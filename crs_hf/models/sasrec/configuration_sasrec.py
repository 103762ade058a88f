"""SASRec configuration (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from typing import Literal

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_probabilities


@strict
class SASRecConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a SASRec recommender ([`SASRecForRecommendation`]): causal self-attention blocks read the
    user's item sequence (interaction history, where the dataset has one, then the items mentioned in the
    context) and the output at the last item scores the catalogue by dot products with the item embeddings.

    Defaults are CRSLab's `config/recommendation/sasrec/tgredial.yaml`.

    Args:
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` values; the training script sets it). The embedding table has one more row, the
            padding item.
        hidden_size (`int`, *optional*, defaults to 50):
            Item and position embedding size, and width of every block.
        num_hidden_layers (`int`, *optional*, defaults to 2):
            Self-attention blocks.
        num_attention_heads (`int`, *optional*, defaults to 1):
            Attention heads; must divide `hidden_size`.
        intermediate_size (`int`, *optional*, defaults to 200):
            Inner size of the feed-forward blocks (CRSLab: 4 * `hidden_size`).
        hidden_act (`str`, *optional*, defaults to `"gelu"`):
            Feed-forward activation, a name of `transformers.activations.ACT2FN` (`"gelu"` is the exact erf GELU
            CRSLab uses).
        hidden_dropout_prob (`float`, *optional*, defaults to 0.2):
            Dropout on the embeddings and on both residual branches.
        attention_probs_dropout_prob (`float`, *optional*, defaults to 0.2):
            Dropout on the attention weights.
        max_seq_length (`int`, *optional*, defaults to 100):
            Position embeddings, and the most recent items of the sequence that are read (CRSLab's
            `max_history_items` and `item_truncate`). The sequence is left-padded to this length, so its last
            item always has the last position, as in CRSLab.
        layer_norm_eps (`float`, *optional*, defaults to 1e-12):
            Epsilon of the layer norms (CRSLab's TF-style `LayerNorm`).
        loss_type (`str`, *optional*, defaults to `"bce"`):
            `"bce"`: CRSLab's objective, the output at every item targets the next item (at the last one, the gold
            item) against one sampled negative, by binary cross-entropy. `"cross_entropy"`: softmax cross-entropy
            of the last output's `rec_logits` over the whole catalogue (a deterministic loss; not CRSLab's).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of embeddings and linear layers (CRSLab's `init_sas_weights`).

    Examples:

    ```python
    >>> from crs_hf.models.sasrec import SASRecConfig, SASRecForRecommendation

    >>> configuration = SASRecConfig(n_items=20, hidden_size=16, intermediate_size=64, max_seq_length=10)
    >>> model = SASRecForRecommendation(configuration)
    >>> model.config.n_items
    20

    ```"""

    model_type = "crs_sasrec"

    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)
    hidden_size: int = 50
    num_hidden_layers: int = 2
    num_attention_heads: int = 1
    intermediate_size: int = 200
    hidden_act: str = "gelu"
    hidden_dropout_prob: float | int = 0.2
    attention_probs_dropout_prob: float | int = 0.2
    max_seq_length: int = 100
    layer_norm_eps: float = 1e-12
    loss_type: Literal["bce", "cross_entropy"] = "bce"
    initializer_range: float | int = 0.02

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                             f"({self.num_attention_heads})")
        if self.hidden_act not in ACT2FN:
            raise ValueError(f"hidden_act must be one of transformers' ACT2FN names, e.g. 'gelu' or 'relu', "
                             f"but got {self.hidden_act!r}")
        check_probabilities(self, ("hidden_dropout_prob", "attention_probs_dropout_prob"))
        if self.n_items < 2:
            raise ValueError(f"n_items must be at least 2 (a sampled negative needs another item), "
                             f"but got {self.n_items}")
        if min(self.num_hidden_layers, self.intermediate_size, self.max_seq_length) < 1:
            raise ValueError(f"num_hidden_layers ({self.num_hidden_layers}), intermediate_size "
                             f"({self.intermediate_size}) and max_seq_length ({self.max_seq_length}) must be "
                             f"at least 1")


__all__ = ["SASRecConfig"]
