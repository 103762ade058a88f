"""KGSF configuration (Zhou et al., "Improving Conversational Recommender Systems via Knowledge Graph based Semantic
Fusion", KDD 2020)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from collections.abc import Sequence

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


# Copied from crs_hf.models.layers.config_checks.check_id_range
def check_id_range(config, names: Sequence[str], size_name: str) -> None:
    """Each of `names` (an id, or None) must lie in `[0, config.<size_name>)`."""
    size = getattr(config, size_name)
    for name in names:
        value = getattr(config, name)
        if value is not None and not 0 <= value < size:
            raise ValueError(f"{name} ({value}) must be in [0, {size_name}={size})")


# Copied from crs_hf.models.layers.config_checks.check_probabilities
def check_probabilities(config, names: Sequence[str]) -> None:
    """Each of `names` (a dropout rate) must lie in [0, 1)."""
    for name in names:
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"{name} must be in [0, 1), but got {getattr(config, name)}")


# Copied from crs_hf.models.layers.config_checks.CRSConfigMixin with CRS->KGSF
class KGSFConfigMixin:
    """What every crs_hf config adds to `PreTrainedConfig`: `n_items`, and validation that raises a plain
    `ValueError` at construction (`@strict` runs `validate_architecture` too, but wraps its error in a
    `StrictDataclassClassValidationError`, which is not a `ValueError`)."""

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.validate_architecture()

    @property
    def n_items(self) -> int:
        """Size of the item catalogue (`config.item_ids`, or every entity when None): the columns of `rec_logits`."""
        return self.n_entity if self.item_ids is None else len(self.item_ids)


# Copied from crs_hf.models.layers.config_checks.check_item_ids
def check_item_ids(config) -> None:
    """`config.item_ids`, if given, must be distinct entity ids other than the padding entity."""
    if config.item_ids is None:
        return
    if not config.item_ids:
        raise ValueError("item_ids is empty; give the entity ids of the items, or None to rank every entity")
    bad = [i for i in config.item_ids if not 0 <= i < config.n_entity or i == config.pad_entity_id]
    if bad:
        raise ValueError(f"item_ids must be entity ids in [0, n_entity={config.n_entity}) other than "
                         f"pad_entity_id={config.pad_entity_id}, but got {bad[:5]}")
    repeated = len(config.item_ids) - len(set(config.item_ids))
    if repeated:
        raise ValueError(f"item_ids must be distinct, but {repeated} of the {len(config.item_ids)} ids repeat")


@strict
class KGSFConfig(KGSFConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a KGSF model: an R-GCN over the entity graph and a GCN over the word graph, aligned by mutual
    information maximisation ([`KGSFForPretraining`]); their attention-pooled, gated user vector scores the item
    catalogue ([`KGSFForRecommendation`]); a transformer decoder attending to the context entities and words, with
    a copy mechanism, writes the response ([`KGSFForConversation`]).

    Defaults are CRSLab's `config/crs/kgsf/redial.yaml` and the sizes of CRSLab's ReDial release (`nltk`
    tokenisation, DBpedia sub-KG after CRSLab's relation filter, ConceptNet words of `concept2id.json`).

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
            Longest context and longest response.
        n_entity (`int`, *optional*, defaults to 64363):
            Entity ids are `[0, n_entity)` (largest id of ReDial's `entity2id.json` + 1).
        n_relation (`int`, *optional*, defaults to 35):
            Relation types of the entity graph (ReDial: 34 relations with more than 1000 edges + the self-loop).
        num_bases (`int`, *optional*, defaults to 8):
            Bases of the R-GCN's basis decomposition.
        kg_emb_dim (`int`, *optional*, defaults to 128):
            Entity and word node embedding size, which is also the user vector size.
        n_entity_edges (`int`, *optional*, defaults to 0):
            Number of edges of the stored entity graph (the size of the `edge_index` / `edge_type` buffers); set by
            `set_entity_graph`, so that a saved model rebuilds its buffers at the saved size.
        pad_entity_id (`int`, *optional*, defaults to 0):
            Entity id that pads `context_entities`.
        item_ids (`list[int]`, *optional*):
            Entity ids of the recommendable items, in the order of `rec_logits` columns and `rec_labels` values
            (ReDial's `movie_ids.json`). `None` ranks every entity, as CRSLab trains.
        n_word (`int`, *optional*, defaults to 29309):
            Word-graph node ids are `[0, n_word)` (largest id of ReDial's `concept2id.json` + 1).
        pad_word_id (`int`, *optional*, defaults to 0):
            Word id that pads `context_words`.
        n_word_edges (`int`, *optional*, defaults to 0):
            Number of edges of the stored word graph (the size of its `edge_index` buffer); set by `set_word_graph`.
        infomax_weight (`float`, *optional*, defaults to 0.025):
            Weight of the mutual-information term added to the recommendation loss (CRSLab's `KGSFSystem`).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of linear layers outside the transformer blocks.
        use_cache (`bool`, *optional*, defaults to `True`):
            Return a key/value cache when decoding without labels.

    Examples:

    ```python
    >>> from crs_hf.models import KGSFConfig, KGSFForRecommendation

    >>> configuration = KGSFConfig(n_entity=100, n_relation=3, n_word=50, item_ids=[1, 2, 3])
    >>> model = KGSFForRecommendation(configuration)
    >>> model.config.n_items
    3

    ```"""

    model_type = "crs_kgsf"
    attribute_map = {"hidden_size": "token_emb_dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    keys_to_ignore_at_inference = [
        "past_key_values", "encoder_last_hidden_state", "user_embedding", "rec_loss", "infomax_loss"
    ]

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
    n_word: int = 29309
    pad_word_id: int = 0
    n_word_edges: int = 0
    infomax_weight: float | int = 0.025
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
        check_id_range(self, ("pad_word_id",), "n_word")
        check_probabilities(self, ("dropout", "attention_dropout", "relu_dropout"))
        check_item_ids(self)
        if self.num_bases < 1 or self.n_relation < 1:
            raise ValueError(f"num_bases ({self.num_bases}) and n_relation ({self.n_relation}) must be at least 1")
        if self.n_entity_edges < 0 or self.n_word_edges < 0:
            raise ValueError(f"edge counts must be >= 0, but got n_entity_edges={self.n_entity_edges}, "
                             f"n_word_edges={self.n_word_edges}")


__all__ = ["KGSFConfig"]
