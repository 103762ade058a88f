"""Configuration of CRSLab's Transformer conversation model (Vaswani et al., NeurIPS 2017, as ParlAI builds it)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_probabilities
from crs_hf.models.layers.transformer import check_transformer_config


@strict
class TransformerConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a Transformer conversation model: a transformer encoder over the flat context tokens and a
    transformer decoder over the response, sharing one token embedding that is also the output layer
    ([`TransformerForConversation`]). No knowledge graph, no items: CRSLab's `Transformer` conversation baseline.

    Defaults are CRSLab's `config/conversation/transformer/redial.yaml` and the sizes of CRSLab's ReDial release
    (`nltk` tokenisation).

    Args:
        vocab_size (`int`, *optional*, defaults to 23929):
            Number of tokens (ReDial's `token2id.json`).
        pad_token_id (`int`, *optional*, defaults to 0):
            Padding token; the encoder ignores it and `generate()` pads finished responses with it.
        bos_token_id (`int`, *optional*, defaults to 1):
            CRSLab's `start` token.
        eos_token_id (`int`, *optional*, defaults to 2):
            CRSLab's `end` token; generation stops at it.
        decoder_start_token_id (`int`, *optional*, defaults to 1):
            First decoder input; labels are shifted right behind it.
        token_emb_dim (`int`, *optional*, defaults to 300):
            Token embedding and transformer width (`hidden_size`).
        n_heads (`int`, *optional*, defaults to 2):
            Attention heads; must divide `token_emb_dim`.
        n_layers (`int`, *optional*, defaults to 2):
            Layers of the encoder and of the decoder.
        ffn_size (`int`, *optional*, defaults to 300):
            Inner size of the feed-forward blocks.
        dropout (`float`, *optional*, defaults to 0.1):
            Dropout on embeddings and on every residual branch.
        attention_dropout (`float`, *optional*, defaults to 0.0):
            Dropout on attention weights.
        relu_dropout (`float`, *optional*, defaults to 0.1):
            Dropout after the feed-forward ReLU.
        learn_positional_embeddings (`bool`, *optional*, defaults to `False`):
            Learned positions instead of fixed sinusoids.
        embeddings_scale (`bool`, *optional*, defaults to `True`):
            Multiply token embeddings by sqrt(`token_emb_dim`).
        n_positions (`int`, *optional*, defaults to 1024):
            Longest context and longest response; a longer context raises a `ValueError` (the training script
            keeps the last `max_context_tokens` tokens, CRSLab's `context_truncate`).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of linear layers outside the transformer blocks.
        use_cache (`bool`, *optional*, defaults to `True`):
            Return a key/value cache when decoding without labels.

    Examples:

    ```python
    >>> from crs_hf.models.transformer import TransformerConfig, TransformerForConversation

    >>> configuration = TransformerConfig(vocab_size=100, token_emb_dim=16, ffn_size=16)
    >>> model = TransformerForConversation(configuration)
    >>> model.config.n_positions
    1024

    ```"""

    model_type = "crs_transformer"
    attribute_map = {"hidden_size": "token_emb_dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    keys_to_ignore_at_inference = ["past_key_values", "encoder_last_hidden_state"]

    vocab_size: int = 23929
    pad_token_id: int = 0
    bos_token_id: int = 1
    eos_token_id: int = 2
    decoder_start_token_id: int = 1
    token_emb_dim: int = 300
    n_heads: int = 2
    n_layers: int = 2
    ffn_size: int = 300
    dropout: float | int = 0.1
    attention_dropout: float | int = 0.0
    relu_dropout: float | int = 0.1
    learn_positional_embeddings: bool = False
    embeddings_scale: bool = True
    n_positions: int = 1024
    initializer_range: float | int = 0.02
    use_cache: bool = True
    is_encoder_decoder: bool = True

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        check_transformer_config(self)
        check_id_range(self, ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"), "vocab_size")
        check_probabilities(self, ("dropout", "attention_dropout", "relu_dropout"))


__all__ = ["TransformerConfig"]
