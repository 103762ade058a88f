"""Configuration of the BERT recommender (Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding", NAACL 2019)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from crs_hf.models.layers.config_checks import CRSConfigMixin

# The encoder of `CRSBertConfig()` before `set_backbone`: a tiny random BERT, for tests and examples.
TINY_BERT = {"vocab_size": 99, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
             "intermediate_size": 37, "max_position_embeddings": 64}
POOLINGS = ("pooler", "first_token")


@strict
class CRSBertConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a BERT recommender: a pretrained text encoder (any `transformers.AutoModel` encoder) reads the
    context; its pooled output goes through a linear layer that scores the item catalogue
    ([`CRSBertForRecommendation`]).

    The encoder is built from `encoder_config` alone, so a saved model loads without the backbone's files. A new
    model gets pretrained weights with `model.set_backbone(name_or_path)`, which records the backbone's config here.

    Args:
        encoder_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of the encoder (its `model_type` picks the architecture). Defaults to a tiny random BERT
            (`TINY_BERT`) until `set_backbone` replaces it with the pretrained backbone's config.
        backbone_name_or_path (`str`, *optional*):
            Hub id or folder the encoder's weights came from (set by `set_backbone`); the training script loads the
            tokenizer from it. Not needed to load a saved model.
        pooling (`str`, *optional*, defaults to `"pooler"`):
            What represents the context: `"pooler"`, the encoder's `pooler_output` (BERT's tanh layer over [CLS], as
            CRSLab), or `"first_token"`, the last hidden state of the first token (for encoders without a pooler).
        n_items (`int`, *optional*, defaults to 6924):
            Size of the item catalogue: the columns of `rec_logits` (the length of the dataset's item list, in the
            order of `rec_labels` values; ReDial has 6924).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of the output layer (and of a randomly built encoder).

    Examples:

    ```python
    >>> from crs_hf.models.bert import CRSBertConfig, CRSBertForRecommendation

    >>> configuration = CRSBertConfig(n_items=5)
    >>> model = CRSBertForRecommendation(configuration)  # then model.set_backbone("google-bert/bert-base-uncased")
    >>> model.config.encoder_config.model_type
    'bert'

    ```"""

    model_type = "crs_bert"
    sub_configs_defaults = {
        "encoder_config": SubConfigSpec(config_class=AutoConfig, model_type="bert", init_kwargs=TINY_BERT),
    }
    keys_to_ignore_at_inference = ["pooler_output"]

    encoder_config: dict | PreTrainedConfig | None = None
    backbone_name_or_path: str | None = None
    pooling: str = "pooler"
    n_items: int = 6924  # a field here (shadows CRSConfigMixin's property computed from `item_ids`)
    initializer_range: float | int = 0.02

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        if self.n_items < 1:
            raise ValueError(f"n_items must be at least 1, but got {self.n_items}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, but got {self.pooling!r}")
        check_encoder_config(self.encoder_config)


def check_encoder_config(config: PreTrainedConfig) -> None:
    """The encoder must be encoder-only and have a `hidden_size` (the output layer's input)."""
    if getattr(config, "is_encoder_decoder", False):
        raise ValueError(f"crs_bert needs an encoder-only backbone, but encoder_config is an encoder-decoder "
                         f"({config.model_type}); use its encoder's checkpoint")
    if not isinstance(getattr(config, "hidden_size", None), int):
        raise ValueError(f"encoder_config ({config.model_type}) has no integer hidden_size for the output layer")


__all__ = ["CRSBertConfig"]
