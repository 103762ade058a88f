"""Configuration of the hierarchical recurrent encoder-decoder (HRED; Serban et al., AAAI 2016) as ReDial's
conversation model builds it (Li et al., NeurIPS 2018), without the item switch."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_probabilities


@strict
class HREDConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of an HRED conversation model ([`HREDForConversation`]): a bidirectional GRU encodes each context
    utterance, a GRU runs over the utterance vectors, and a decoder GRU started from the context state writes the
    response word by word. ReDial's conversation model ([`ReDialForConversation`]) without its switch to an item
    placeholder: no items, no knowledge.

    Defaults are the conversation part of CRSLab's `config/crs/redial/redial.yaml` and the sizes of CRSLab's ReDial
    release (`nltk` tokenisation).

    Args:
        vocab_size (`int`, *optional*, defaults to 23929):
            Number of tokens (ReDial's `token2id.json`).
        pad_token_id (`int`, *optional*, defaults to 0):
            Padding token of utterances and responses.
        bos_token_id (`int`, *optional*, defaults to 1):
            CRSLab's `start` token.
        eos_token_id (`int`, *optional*, defaults to 2):
            CRSLab's `end` token; generation stops at it.
        decoder_start_token_id (`int`, *optional*, defaults to 1):
            First decoder input; labels are shifted right behind it.
        embedding_dim (`int`, *optional*, defaults to 300):
            Token embedding size (shared by encoder and decoder).
        utterance_encoder_hidden_size (`int`, *optional*, defaults to 256):
            Hidden size of each direction of the utterance GRU.
        dialog_encoder_hidden_size (`int`, *optional*, defaults to 256):
            Hidden size of the context GRU; must equal `decoder_hidden_size` (its state starts the decoder).
        dialog_encoder_num_layers (`int`, *optional*, defaults to 1):
            Layers of the context GRU.
        decoder_hidden_size (`int`, *optional*, defaults to 256):
            Hidden size of the decoder GRU.
        decoder_num_layers (`int`, *optional*, defaults to 1):
            Layers of the decoder GRU (each starts from the context state).
        dropout (`float`, *optional*, defaults to 0.0):
            Dropout on token embeddings and encoder states (CRSLab: `use_dropout: False`, rate 0.3 when on).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of linear layers.
        use_cache (`bool`, *optional*, defaults to `True`):
            Return the decoder state when decoding without labels.

    Examples:

    ```python
    >>> from crs_hf.models.hred import HREDConfig, HREDForConversation

    >>> configuration = HREDConfig(vocab_size=1000)
    >>> model = HREDForConversation(configuration)
    >>> model.config.decoder_hidden_size
    256

    ```"""

    model_type = "crs_hred"
    attribute_map = {"hidden_size": "decoder_hidden_size"}
    keys_to_ignore_at_inference = ["past_key_values", "context_state"]

    vocab_size: int = 23929
    pad_token_id: int = 0
    bos_token_id: int = 1
    eos_token_id: int = 2
    decoder_start_token_id: int = 1
    embedding_dim: int = 300
    utterance_encoder_hidden_size: int = 256
    dialog_encoder_hidden_size: int = 256
    dialog_encoder_num_layers: int = 1
    decoder_hidden_size: int = 256
    decoder_num_layers: int = 1
    dropout: float | int = 0.0
    initializer_range: float | int = 0.02
    use_cache: bool = True
    is_encoder_decoder: bool = True

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        if self.dialog_encoder_hidden_size != self.decoder_hidden_size:
            raise ValueError(f"dialog_encoder_hidden_size ({self.dialog_encoder_hidden_size}) must equal "
                             f"decoder_hidden_size ({self.decoder_hidden_size}): the context state starts the decoder")
        check_id_range(self, ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"), "vocab_size")
        check_probabilities(self, ("dropout",))


__all__ = ["HREDConfig"]
