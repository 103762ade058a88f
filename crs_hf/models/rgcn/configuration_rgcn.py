"""R-GCN recommender configuration (Schlichtkrull et al., "Modeling Relational Data with Graph Convolutional
Networks", ESWC 2018)."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range, check_item_ids


@strict
class RGCNConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of the R-GCN recommender: one featureless R-GCN layer over the entity knowledge graph, the mean of
    the context entities' vectors as the user vector, and dot-product scores over the item catalogue
    ([`RGCNForRecommendation`]). It is KBRD's recommender without the self-attention pooling, so the graph
    settings and their defaults are [`KBRDConfig`]'s (CRSLab's `config/crs/kbrd/redial.yaml`, ReDial's sizes).

    Args:
        n_entity (`int`, *optional*, defaults to 64363):
            Entity ids are `[0, n_entity)` (largest id of ReDial's `entity2id.json` + 1).
        n_relation (`int`, *optional*, defaults to 35):
            Relation types of the entity graph (ReDial: 34 relations with more than 1000 edges + the self-loop).
        num_bases (`int`, *optional*, defaults to 8):
            Bases of the R-GCN's basis decomposition.
        kg_emb_dim (`int`, *optional*, defaults to 128):
            Entity vector size, which is also the user vector size.
        n_entity_edges (`int`, *optional*, defaults to 0):
            Number of edges of the stored entity graph (the size of the `edge_index` / `edge_type` buffers); set by
            `set_entity_graph`, so that a saved model rebuilds its buffers at the saved size.
        pad_entity_id (`int`, *optional*, defaults to 0):
            Entity id that pads `context_entities`.
        item_ids (`list[int]`, *optional*):
            Entity ids of the recommendable items, in the order of `rec_logits` columns and `rec_labels` values
            (ReDial's `movie_ids.json`). `None` ranks every entity.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of plain linear layers (the R-GCN has its own Glorot initialisation).

    Examples:

    ```python
    >>> from crs_hf.models.rgcn import RGCNConfig, RGCNForRecommendation

    >>> configuration = RGCNConfig(n_entity=100, n_relation=3, item_ids=[1, 2, 3])
    >>> model = RGCNForRecommendation(configuration)
    >>> model.config.n_items
    3

    ```"""

    model_type = "crs_rgcn"
    attribute_map = {"hidden_size": "kg_emb_dim"}
    keys_to_ignore_at_inference = ["user_embedding"]

    n_entity: int = 64363
    n_relation: int = 35
    num_bases: int = 8
    kg_emb_dim: int = 128
    n_entity_edges: int = 0
    pad_entity_id: int = 0
    item_ids: list[int] | None = None
    initializer_range: float | int = 0.02

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        check_id_range(self, ("pad_entity_id",), "n_entity")
        check_item_ids(self)
        if self.num_bases < 1 or self.n_relation < 1:
            raise ValueError(f"num_bases ({self.num_bases}) and n_relation ({self.n_relation}) must be at least 1")
        if self.n_entity_edges < 0:
            raise ValueError(f"n_entity_edges must be >= 0, but got {self.n_entity_edges}")


__all__ = ["RGCNConfig"]
