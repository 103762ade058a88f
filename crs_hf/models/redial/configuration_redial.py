"""ReDial configuration (Li et al., "Towards Deep Conversational Recommendations", NeurIPS 2018)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from dataclasses import field
from typing import Literal

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_item_ids, check_probabilities


@strict
class ReDialConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a ReDial model: an AutoRec recommender over the context entities
    ([`ReDialForRecommendation`]) and a hierarchical recurrent encoder-decoder whose output switches between words
    and an item placeholder ([`ReDialForConversation`]). The two share no weights, as in CRSLab.

    Defaults are CRSLab's `config/crs/redial/redial.yaml` and the sizes of CRSLab's ReDial release (`nltk`
    tokenisation), except `autorec_g` (see below).

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
        item_token_id (`int`, *optional*):
            Token that stands for an item mention in responses (e.g. an added `[ITEM]` token). When set, a switch
            gives it probability `1 - s` and every word `s * p(word)`; `None` decodes words only.
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
        n_entity (`int`, *optional*, defaults to 64363):
            Entity ids are `[0, n_entity)`; the AutoRec input size.
        pad_entity_id (`int`, *optional*, defaults to 0):
            Entity id that pads `context_entities`.
        item_ids (`list[int]`, *optional*):
            Entity ids of the recommendable items, in the order of `rec_logits` columns and `rec_labels` values;
            `None` scores every entity, as CRSLab trains.
        autorec_layer_sizes (`list[int]`, *optional*, defaults to `[1000]`):
            Hidden layer sizes of AutoRec.
        autorec_input (`str`, *optional*, defaults to `"mean"`):
            AutoRec's input: `"mean"` gives each of the context's n distinct entities weight 1/n, as CRSLab's
            `get_onehot` does; `"sum"` gives each weight 1 (a multi-hot vector: crs_hf's earlier input, under which
            a long context drives the hidden layer harder).
        autorec_f (`str`, *optional*, defaults to `"sigmoid"`):
            Hidden activation: `"identity"`, `"sigmoid"` or `"relu"`.
        autorec_g (`str`, *optional*, defaults to `"identity"`):
            Output activation. CRSLab's `"sigmoid"` squashes the scores into (0, 1) before the softmax
            cross-entropy, which bounds how far the loss can fall; set it to reproduce CRSLab.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of linear layers.
        use_cache (`bool`, *optional*, defaults to `True`):
            Return the decoder state when decoding without labels.

    Examples:

    ```python
    >>> from crs_hf.models import ReDialConfig, ReDialForConversation

    >>> configuration = ReDialConfig(vocab_size=1000, item_token_id=4)
    >>> model = ReDialForConversation(configuration)
    >>> model.config.decoder_hidden_size
    256

    ```"""

    model_type = "crs_redial"
    attribute_map = {"hidden_size": "decoder_hidden_size"}
    keys_to_ignore_at_inference = ["past_key_values", "context_state"]

    vocab_size: int = 23929
    pad_token_id: int = 0
    bos_token_id: int = 1
    eos_token_id: int = 2
    decoder_start_token_id: int = 1
    item_token_id: int | None = None
    embedding_dim: int = 300
    utterance_encoder_hidden_size: int = 256
    dialog_encoder_hidden_size: int = 256
    dialog_encoder_num_layers: int = 1
    decoder_hidden_size: int = 256
    decoder_num_layers: int = 1
    dropout: float | int = 0.0
    n_entity: int = 64363
    pad_entity_id: int = 0
    item_ids: list[int] | None = None
    autorec_layer_sizes: list[int] = field(default_factory=lambda: [1000])
    autorec_input: Literal["mean", "sum"] = "mean"
    autorec_f: Literal["identity", "sigmoid", "relu"] = "sigmoid"
    autorec_g: Literal["identity", "sigmoid", "relu"] = "identity"
    initializer_range: float | int = 0.02
    use_cache: bool = True
    is_encoder_decoder: bool = True

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        if self.dialog_encoder_hidden_size != self.decoder_hidden_size:
            raise ValueError(f"dialog_encoder_hidden_size ({self.dialog_encoder_hidden_size}) must equal "
                             f"decoder_hidden_size ({self.decoder_hidden_size}): the context state starts the decoder")
        names = ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id", "item_token_id")
        check_id_range(self, names, "vocab_size")
        check_id_range(self, ("pad_entity_id",), "n_entity")
        check_probabilities(self, ("dropout",))
        check_item_ids(self)
        if not self.autorec_layer_sizes or min(self.autorec_layer_sizes) < 1:
            raise ValueError(f"autorec_layer_sizes must be a non-empty list of positive sizes, "
                             f"but got {self.autorec_layer_sizes}")


__all__ = ["ReDialConfig"]
