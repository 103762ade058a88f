"""The R-GCN recommender (Schlichtkrull et al., "Modeling Relational Data with Graph Convolutional Networks",
ESWC 2018): the entity knowledge graph encoded by one R-GCN layer, the context entities' vectors averaged into a
user vector, and the catalogue scored by dot product.

CRSLab's README lists R-GCN among its recommendation models, but CRSLab has no R-GCN module of its own
(`crslab/model/recommendation/` holds BERT, GRU4Rec, Popularity, SASRec and TextCNN; `Model_register_table` in
`crslab/model/__init__.py` has no R-GCN entry): its R-GCN recommender is the one inside KBRD
(`crslab/model/crs/kbrd/kbrd.py`). This model is that recommender with mean pooling instead of KBRD's
self-attention, so it isolates what the graph alone gives:

    h = RGCN(graph)                                   (n_entity, kg_emb_dim); see `crs_hf.models.layers.rgcn`
    u = mean_{e in context} h_e                       (0 for a context without entities, as KBRD)
    rec_logits_i = u . h_{item_ids[i]} + b_i

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers import CRSEntityGraphEncoder, CRSEntityScorer, CRSRelationalGraphConv
from crs_hf.models.layers.item_sequence import check_rec_labels
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_rgcn import RGCNConfig

logger = logging.get_logger(__name__)


def mean_pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`states` `(batch, length, dim)` averaged over the positions where `mask` `(batch, length)` is True; a row
    without any gives the zero vector. Returns `(batch, dim)`."""
    mask = mask.to(states.dtype)
    total = (mask.unsqueeze(1) @ states).squeeze(1)
    return total / mask.sum(-1, keepdim=True).clamp(min=1.0)


@dataclass
class RGCNModelOutput(ModelOutput):
    """
    Args:
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            Mean of the context entities' R-GCN vectors (zeros for a context without entities).
        entity_embeddings (`torch.FloatTensor` of shape `(n_entity, kg_emb_dim)`):
            R-GCN output for every entity.
    """

    user_embedding: torch.FloatTensor | None = None
    entity_embeddings: torch.FloatTensor | None = None


@dataclass
class RGCNRecommendationOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `rec_labels` is given):
            Cross-entropy of `rec_logits` against `rec_labels` (mean over labels other than -100).
        rec_logits (`torch.FloatTensor` of shape `(batch_size, n_items)`):
            Score of every item of the catalogue (`config.item_ids` order).
        user_embedding (`torch.FloatTensor` of shape `(batch_size, kg_emb_dim)`):
            The user vector the scores come from.
    """

    loss: torch.FloatTensor | None = None
    rec_logits: torch.FloatTensor | None = None
    user_embedding: torch.FloatTensor | None = None


class RGCNPreTrainedModel(CRSPreTrainedModel):
    config_class = RGCNConfig
    base_model_prefix = "model"
    main_input_name = "context_entities"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, (CRSRelationalGraphConv, CRSEntityScorer)):
            module.reset_parameters()  # Glorot-uniform R-GCN weights; zero item biases and the item-id buffer

    def set_entity_graph(self, edge_index: torch.Tensor, edge_type: torch.Tensor) -> None:
        """Stores the entity graph: `edge_index` `(2, num_edges)` from source to target entity, `edge_type`
        `(num_edges,)` relation ids, e.g. from `crs_hf.data.load_graph(name)`. Sets `config.n_entity_edges`."""
        self.base_model.entity_encoder.set_graph(edge_index, edge_type)


class RGCNModel(RGCNPreTrainedModel):
    """R-GCN entity vectors and the mean-pooled user vector."""

    _keys_to_ignore_on_load_unexpected = [r"^item_scorer\."]  # loading the base of a recommender checkpoint

    def __init__(self, config: RGCNConfig):
        super().__init__(config)
        self.entity_encoder = CRSEntityGraphEncoder(config)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor) -> RGCNModelOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        """
        if context_entities is None or context_entities.dim() != 2:
            shape = None if context_entities is None else tuple(context_entities.shape)
            raise ValueError(f"context_entities must be (batch, num_entities) entity ids padded with "
                             f"pad_entity_id, but got {shape}")
        if context_entities.numel() and (context_entities.min() < 0 or context_entities.max() >= self.config.n_entity):
            raise ValueError(f"context_entities hold entity ids in [{int(context_entities.min())}, "
                             f"{int(context_entities.max())}], but n_entity={self.config.n_entity}")
        entity_embeddings = self.entity_encoder()
        mask = context_entities != self.config.pad_entity_id
        user_embedding = mean_pool(entity_embeddings[context_entities], mask)
        return RGCNModelOutput(user_embedding=user_embedding, entity_embeddings=entity_embeddings)


class RGCNForRecommendation(RGCNPreTrainedModel):
    """Scores each item by `user . entity_vector(item) + bias(item)`, as KBRD's recommender."""

    def __init__(self, config: RGCNConfig):
        super().__init__(config)
        self.model = RGCNModel(config)
        self.item_scorer = CRSEntityScorer(config, config.item_ids)
        self.post_init()

    def forward(self, context_entities: torch.LongTensor, rec_labels: torch.LongTensor | None = None
                ) -> RGCNRecommendationOutput:
        r"""
        context_entities (`torch.LongTensor` of shape `(batch_size, num_entities)`):
            Entity ids mentioned in the context, padded with `config.pad_entity_id`.
        rec_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*):
            Index of the gold item in the catalogue (a position in `config.item_ids`, not an entity id); -100 is
            ignored. A turn recommending several items becomes one row per item, as in CRSLab.
        """
        outputs = self.model(context_entities)
        rec_logits = self.item_scorer(outputs.user_embedding, outputs.entity_embeddings)
        loss = None
        if rec_labels is not None:
            check_rec_labels(rec_labels, self.config.n_items, rec_logits.shape[0])
            loss = nn.functional.cross_entropy(rec_logits.float(), rec_labels, ignore_index=-100)
        return RGCNRecommendationOutput(loss=loss, rec_logits=rec_logits, user_embedding=outputs.user_embedding)


__all__ = ["RGCNForRecommendation", "RGCNModel", "RGCNPreTrainedModel"]
