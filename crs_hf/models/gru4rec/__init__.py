"""GRU4Rec: a GRU over the user's item sequence (history, then context items) scores the next item."""

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec
from crs_hf.models.layers.item_sequence import SEQUENTIAL_DIFFERENCES_FROM_CRSLAB

from .configuration_gru4rec import GRU4RecConfig
from .modeling_gru4rec import GRU4RecForRecommendation, GRU4RecModel, GRU4RecPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=GRU4RecConfig,
    base_model_class=GRU4RecModel,
    heads=(
        CRSHead("rec", GRU4RecForRecommendation, inputs=("context_items",), optional_inputs=("history_items",),
                side_data=("items",)),
    ),
    name="GRU4Rec (Hidasi et al., ICLR 2016)",
    citation=citations.GRU4REC,
    summary="a GRU reads the history and context items; its last state scores the catalogue by dot products",
    differences_from_crslab=(
        "the catalogue is scored with the GRU state after each sequence's last item; CRSLab's `gru4rec.py` took the "
        "last column of the padded GRU output (`logit[:, -1, :]`), which is zero for every sequence shorter than the "
        "longest of its batch, so most users got all-zero scores",
        "one `hidden_size` for item embeddings and GRU (CRSLab's `embedding_dim` and `gru_hidden_size`, which its "
        "loss needs equal); CRSLab's `dropout_input` was never used and is left out",
        *SEQUENTIAL_DIFFERENCES_FROM_CRSLAB,
    ),
)

__all__ = ["CRS_MODEL", "GRU4RecConfig", "GRU4RecForRecommendation", "GRU4RecModel", "GRU4RecPreTrainedModel"]
