"""TextCNN configuration (Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from dataclasses import field

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_probabilities


@strict
class TextCNNConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a TextCNN recommender: convolutions of several widths over the embedded context tokens,
    max-pooled over time, then a linear layer that scores the item catalogue ([`TextCNNForRecommendation`]).

    Defaults are CRSLab's `config/recommendation/textcnn/redial.yaml` (`embed`, `num_filters`, `filter_sizes`,
    `dropout`) and the sizes of CRSLab's ReDial release (`nltk` tokenisation).

    Args:
        vocab_size (`int`, *optional*, defaults to 23929):
            Number of tokens of the dataset's word-level vocabulary (ReDial's `token2id.json`); the training script
            sets it from the tokenizer.
        pad_token_id (`int`, *optional*, defaults to 0):
            Padding token of `input_ids`; windows that touch padding are left out of the max-pool.
        embedding_dim (`int`, *optional*, defaults to 300):
            Token embedding size (CRSLab's `embed`).
        num_filters (`int`, *optional*, defaults to 256):
            Convolution filters per width.
        filter_sizes (`list[int]`, *optional*, defaults to `[2, 3, 4]`):
            Widths (in tokens) of the convolutions; the pooled features are `num_filters * len(filter_sizes)`.
        dropout (`float`, *optional*, defaults to 0.5):
            Dropout on the pooled features, before the output layer.
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` values).

    Examples:

    ```python
    >>> from crs_hf.models.textcnn import TextCNNConfig, TextCNNForRecommendation

    >>> configuration = TextCNNConfig(vocab_size=99, embedding_dim=16, num_filters=8, n_items=5)
    >>> model = TextCNNForRecommendation(configuration)
    >>> model.config.n_items
    5

    ```"""

    model_type = "crs_textcnn"
    attribute_map = {"hidden_size": "embedding_dim"}
    keys_to_ignore_at_inference = ["pooler_output"]

    vocab_size: int = 23929
    pad_token_id: int = 0
    embedding_dim: int = 300
    num_filters: int = 256
    filter_sizes: list[int] = field(default_factory=lambda: [2, 3, 4])
    dropout: float | int = 0.5
    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        check_id_range(self, ("pad_token_id",), "vocab_size")
        check_probabilities(self, ("dropout",))
        if not self.filter_sizes or min(self.filter_sizes) < 1:
            raise ValueError(f"filter_sizes must be a non-empty list of widths >= 1, but got {self.filter_sizes}")
        if self.num_filters < 1 or self.embedding_dim < 1:
            raise ValueError(f"num_filters ({self.num_filters}) and embedding_dim ({self.embedding_dim}) must be "
                             f"at least 1")
        if self.n_items < 1:
            raise ValueError(f"n_items must be at least 1, but got {self.n_items}")


__all__ = ["TextCNNConfig"]
