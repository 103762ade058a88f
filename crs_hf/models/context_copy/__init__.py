"""ContextCopy: the items already mentioned in the context first, most recent first, then the popular ones."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_context_copy import ContextCopyConfig
from .modeling_context_copy import ContextCopyForRecommendation, ContextCopyModel, ContextCopyPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=ContextCopyConfig,
    base_model_class=ContextCopyModel,
    heads=(
        CRSHead("rec", ContextCopyForRecommendation, inputs=("context_items",), side_data=("items",),
                trained_by="counting"),
    ),
    name="ContextCopy (repeat baseline)",
    citation=citations.CRSLAB,
    summary="re-recommends the items the context mentioned, most recent first, then the most popular ones",
    differences_from_crslab=(
        "not a CRSLab model: a baseline that shows how much of a model's Recall@k comes from repeating items "
        "the dialog already mentioned (the popularity part counts gold items, as crs_hf's Popularity does)",
    ),
)

__all__ = [
    "CRS_MODEL",
    "ContextCopyConfig",
    "ContextCopyForRecommendation",
    "ContextCopyModel",
    "ContextCopyPreTrainedModel",
]
