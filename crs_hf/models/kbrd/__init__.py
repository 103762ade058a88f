"""KBRD: knowledge-graph user vectors for recommendation and for a transformer's vocabulary bias."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_kbrd import KBRDConfig
from .modeling_kbrd import KBRDForConversation, KBRDForRecommendation, KBRDModel, KBRDPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=KBRDConfig,
    base_model_class=KBRDModel,
    heads=(
        CRSHead("rec", KBRDForRecommendation, inputs=("context_entities",), side_data=("entity_kg", "items")),
        CRSHead("conv", KBRDForConversation, inputs=("context_tokens", "context_entities", "response_tokens"),
                side_data=("entity_kg", "items", "vocabulary"), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="KBRD (Chen et al., EMNLP 2019)",
    citation=citations.KBRD,
    summary="R-GCN entity vectors pooled by self-attention into a user vector; a transformer with a user bias",
    differences_from_crslab=(
        "the conversation loss (and perplexity) covers the response and its end token; CRSLab's responses also "
        "began with the start token, which its decoder, fed START first, learnt to predict: one trivial token per "
        "response in its mean",
        "items are scored over the catalogue (`config.item_ids`) instead of every entity",
        "generation uses `GenerationMixin.generate` (greedy, beam, sampling) with a KV cache, where CRSLab's greedy "
        "loop re-ran the decoder on the whole prefix and its beam search was a per-sample Python loop",
        "the R-GCN is a sparse re-implementation of `torch_geometric.nn.RGCNConv` with the same parameters and outputs",
    ),
)

__all__ = ["CRS_MODEL", "KBRDConfig", "KBRDForConversation", "KBRDForRecommendation", "KBRDModel", "KBRDPreTrainedModel"]
