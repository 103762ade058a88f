"""KGSF: entity and word knowledge graphs fused by mutual information, for recommendation and conversation."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_kgsf import KGSFConfig
from .modeling_kgsf import (
    KGSFForConversation,
    KGSFForPretraining,
    KGSFForRecommendation,
    KGSFModel,
    KGSFPreTrainedModel,
)

_GRAPHS = ("entity_kg", "word_kg")
CRS_MODEL = CRSModelSpec(
    config_class=KGSFConfig,
    base_model_class=KGSFModel,
    heads=(
        CRSHead("pretrain", KGSFForPretraining, inputs=("context_entities", "context_words"), side_data=_GRAPHS),
        CRSHead("rec", KGSFForRecommendation, inputs=("context_entities", "context_words"),
                side_data=(*_GRAPHS, "items")),
        CRSHead("conv", KGSFForConversation,
                inputs=("context_tokens", "context_entities", "context_words", "response_tokens"),
                side_data=(*_GRAPHS, "items", "vocabulary", "copy_mask"), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="KGSF (Zhou et al., KDD 2020)",
    citation=citations.KGSF,
    summary="entity (R-GCN) and word (GCN) graphs fused by mutual information; a KG-attention decoder with copy",
    differences_from_crslab=(
        "the conversation loss (and perplexity) covers the response and its end token; CRSLab's responses also "
        "began with the start token, which its decoder, fed START first, learnt to predict: one trivial token per "
        "response in its mean",
        "a pre-training batch without any context entity gives a zero loss and the optimizer still steps (momentum "
        "still moves the weights), where CRSLab skipped the step",
        "`infomax_target`: the mutual-information target is CRSLab's distribution over the context entities (1/n "
        "each, loss divided by the contexts that have entities) by default; `\"multi_hot\"` is the earlier choice",
        "the decoder's attention masks over context entities and words were inverted (CRSLab passed the *padding* "
        "mask where its attention expects the *valid* mask, so the decoder attended to padding only); here valid "
        "positions",
        "the KG memories were projected to `ffn_size` though the decoder width is `token_emb_dim` (it only ran "
        "because both are 300); here to `token_emb_dim`",
        "a context without entities or words gives a zero user vector, not the R-GCN vector of the padding entity",
        "items are scored over the catalogue, and generation uses `generate()` with a KV cache (greedy, beam, "
        "sampling)",
    ),
)

__all__ = [
    "CRS_MODEL",
    "KGSFConfig",
    "KGSFForConversation",
    "KGSFForPretraining",
    "KGSFForRecommendation",
    "KGSFModel",
    "KGSFPreTrainedModel",
]
