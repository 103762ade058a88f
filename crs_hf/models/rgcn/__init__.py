"""R-GCN: entity vectors from a relational graph convolution, mean-pooled over the context, scoring the catalogue."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_rgcn import RGCNConfig
from .modeling_rgcn import RGCNForRecommendation, RGCNModel, RGCNPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=RGCNConfig,
    base_model_class=RGCNModel,
    heads=(
        CRSHead("rec", RGCNForRecommendation, inputs=("context_entities",), side_data=("entity_kg", "items")),
    ),
    name="R-GCN (Schlichtkrull et al., ESWC 2018)",
    citation=citations.RGCN,
    summary="R-GCN entity vectors averaged over the context entities into a user vector that scores the catalogue",
    differences_from_crslab=(
        "CRSLab lists R-GCN among its recommendation models but has no R-GCN module (its `crslab/model/"
        "recommendation/` and `Model_register_table` have none); this is the R-GCN recommender inside its KBRD "
        "(`crslab/model/crs/kbrd/kbrd.py`) with the context entities mean-pooled instead of self-attended",
        "items are scored over the catalogue (`config.item_ids`) instead of every entity",
        "the R-GCN is a sparse re-implementation of `torch_geometric.nn.RGCNConv` with the same parameters and outputs",
    ),
)

__all__ = ["CRS_MODEL", "RGCNConfig", "RGCNForRecommendation", "RGCNModel", "RGCNPreTrainedModel"]
