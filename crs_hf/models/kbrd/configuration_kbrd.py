"""KBRD configuration (Chen et al., "Towards Knowledge-Based Recommender Dialog System", EMNLP 2019)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_item_ids, check_probabilities


@strict
class KBRDConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a KBRD model: an R-GCN over the entity knowledge graph whose attention-pooled context entities
    give a user vector that scores the item catalogue ([`KBRDForRecommendation`]) and biases the vocabulary of a
    transformer encoder-decoder ([`KBRDForConversation`]).

    Defaults are CRSLab's `config/crs/kbrd/redial.yaml` and the sizes of CRSLab's ReDial release (`nltk`
    tokenisation, DBpedia sub-KG after CRSLab's relation filter).

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
            Multiply token embeddings by sqrt(`token_emb_dim`). (CRSLab's YAML key; its KBRD code read the misspelt
            `embedding_scale`, so the YAML value never took effect, but both are `True`.)
        n_positions (`int`, *optional*, defaults to 1024):
            Longest context and longest response.
        n_entity (`int`, *optional*, defaults to 64363):
            Entity ids are `[0, n_entity)` (largest id of ReDial's `entity2id.json` + 1).
        n_relation (`int`, *optional*, defaults to 35):
            Relation types of the entity graph (ReDial: 34 relations with more than 1000 edges + the self-loop).
        num_bases (`int`, *optional*, defaults to 8):
            Bases of the R-GCN's basis decomposition.
        kg_emb_dim (`int`, *optional*, defaults to 128):
            Entity embedding size, which is also the user vector size.
        n_entity_edges (`int`, *optional*, defaults to 0):
            Number of edges of the stored entity graph (the size of the `edge_index` / `edge_type` buffers); set by
            `set_entity_graph`, so that a saved model rebuilds its buffers at the saved size.
        pad_entity_id (`int`, *optional*, defaults to 0):
            Entity id that pads `context_entities`.
        item_ids (`list[int]`, *optional*):
            Entity ids of the recommendable items, in the order of `rec_logits` columns and `rec_labels` values
            (ReDial's `movie_ids.json`). `None` ranks every entity, as CRSLab trains.
        user_proj_dim (`int`, *optional*, defaults to 512):
            Hidden size of the MLP that maps the user vector to a vocabulary bias.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of linear layers outside the transformer blocks.
        use_cache (`bool`, *optional*, defaults to `True`):
            Return a key/value cache when decoding without labels.

    Examples:

    ```python
    >>> from crs_hf.models import KBRDConfig, KBRDForRecommendation

    >>> configuration = KBRDConfig(n_entity=100, n_relation=3, item_ids=[1, 2, 3])
    >>> model = KBRDForRecommendation(configuration)
    >>> model.config.n_items
    3

    ```"""

    model_type = "crs_kbrd"
    attribute_map = {"hidden_size": "token_emb_dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    keys_to_ignore_at_inference = ["past_key_values", "encoder_last_hidden_state", "user_embedding"]

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
    n_entity: int = 64363
    n_relation: int = 35
    num_bases: int = 8
    kg_emb_dim: int = 128
    n_entity_edges: int = 0
    pad_entity_id: int = 0
    item_ids: list[int] | None = None
    user_proj_dim: int = 512
    initializer_range: float | int = 0.02
    use_cache: bool = True
    is_encoder_decoder: bool = True

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        if self.token_emb_dim % self.n_heads != 0:
            raise ValueError(f"token_emb_dim ({self.token_emb_dim}) must be a multiple of n_heads ({self.n_heads})")
        if not self.learn_positional_embeddings and self.token_emb_dim % 2 != 0:
            raise ValueError(f"sinusoidal positions need an even token_emb_dim, but got {self.token_emb_dim} "
                             f"(or set learn_positional_embeddings=True)")
        check_id_range(self, ("pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"), "vocab_size")
        check_id_range(self, ("pad_entity_id",), "n_entity")
        check_probabilities(self, ("dropout", "attention_dropout", "relu_dropout"))
        check_item_ids(self)
        if self.num_bases < 1 or self.n_relation < 1:
            raise ValueError(f"num_bases ({self.num_bases}) and n_relation ({self.n_relation}) must be at least 1")
        if self.n_entity_edges < 0:
            raise ValueError(f"n_entity_edges must be >= 0, but got {self.n_entity_edges}")


__all__ = ["KBRDConfig"]
