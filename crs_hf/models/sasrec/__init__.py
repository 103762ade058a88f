"""SASRec: causal self-attention over the user's item sequence (history, then context items) scores the next item."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec
from crs_hf.models.layers.item_sequence import SEQUENTIAL_DIFFERENCES_FROM_CRSLAB

from .configuration_sasrec import SASRecConfig
from .modeling_sasrec import SASRecForRecommendation, SASRecModel, SASRecPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=SASRecConfig,
    base_model_class=SASRecModel,
    heads=(
        CRSHead("rec", SASRecForRecommendation, inputs=("context_items",), optional_inputs=("history_items",),
                side_data=("items",)),
    ),
    name="SASRec (Kang & McAuley, ICDM 2018)",
    citation=citations.SASREC,
    summary="causal self-attention over the history and context items; the last output scores the catalogue",
    differences_from_crslab=(
        "one `max_seq_length` for the position table and the truncation (CRSLab's `max_history_items` and "
        "`item_truncate`, which must agree for its left-padded inputs to fit)",
        *SEQUENTIAL_DIFFERENCES_FROM_CRSLAB,
    ),
)

__all__ = ["CRS_MODEL", "SASRecConfig", "SASRecForRecommendation", "SASRecModel", "SASRecPreTrainedModel"]
