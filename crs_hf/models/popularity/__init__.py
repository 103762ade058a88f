"""Popularity: the catalogue ranked by how often each item was recommended in training (a counting baseline)."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_popularity import PopularityConfig
from .modeling_popularity import PopularityForRecommendation, PopularityModel, PopularityPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=PopularityConfig,
    base_model_class=PopularityModel,
    heads=(
        CRSHead("rec", PopularityForRecommendation, inputs=(), side_data=("items",), trained_by="counting"),
    ),
    name="Popularity (CRSLab baseline)",
    citation=citations.CRSLAB,
    summary="every context gets the same ranking: catalogue items by how often they were gold items in training",
    differences_from_crslab=(
        "the gold items of the training turns are counted, once; CRSLab's `popularity.py` counted the items of the "
        "model inputs (interaction history + context items, its padding id 0 included) of every training batch, "
        "again in every epoch, so it ranked the most *mentioned* items",
        "the scores are log-probabilities of add-`smoothing` counts over the catalogue and the loss is their "
        "cross-entropy, so the validation loss compares with other models'; CRSLab returned raw counts over every "
        "entity id and a constant zero loss (the ranking by counts is the same)",
    ),
)

__all__ = [
    "CRS_MODEL",
    "PopularityConfig",
    "PopularityForRecommendation",
    "PopularityModel",
    "PopularityPreTrainedModel",
]
