"""INSPIRED: a BERT recommender over the context, and a role-aware pair of GPT-2 conversation models."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_inspired import CRSInspiredConfig
from .modeling_inspired import (
    CRSInspiredForConversation,
    CRSInspiredForRecommendation,
    CRSInspiredModel,
    CRSInspiredPreTrainedModel,
)

CRS_MODEL = CRSModelSpec(
    config_class=CRSInspiredConfig,
    base_model_class=CRSInspiredModel,
    heads=(
        CRSHead("rec", CRSInspiredForRecommendation, inputs=("context_subwords",), side_data=("backbone", "items")),
        # AutoModelForSeq2SeqLM, as every conversation head: context in, response out (see crs_hf.models.gpt2)
        CRSHead("conv", CRSInspiredForConversation, inputs=("context_subwords", "response_subwords", "response_role"),
                side_data=("backbone",), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="INSPIRED (Hayati et al., EMNLP 2020)",
    citation=citations.INSPIRED,
    summary="a BERT recommender over the context; two GPT-2s, one per speaker, generate the seeker's and the "
            "recommender's turns",
    differences_from_crslab=(
        "no state crosses the examples of a batch: CRSLab fed each sample the previous sample's `past_key_values` "
        "(so it attended to other dialogs' contexts, and positions overflowed GPT-2's 1024, where it dropped the "
        "cache), in training and in generation",
        "the recommender is crs_hf's BERT recommender (`crs_hf.models.bert`), with its differences: any "
        "`AutoModel` encoder, items scored over the catalogue unless `candidate_items: entities` (CRSLab's "
        "`n_entity` outputs), one learning rate",
        "the conversation model reads contexts and responses as `crs_gpt2` does: padding masked, positions counted "
        "over real tokens, utterances and responses ended by the tokenizer's end token, no start token; CRSLab "
        "left-padded contexts to 256 tokens with GPT-2's token 0 and attended to it",
        "generation reads the whole context and uses the LMs' own `generate()` (greedy, beam, sampling, KV cache), "
        "stopping at the end token; CRSLab's greedy loop kept the last 29 context tokens, ran every step per sample "
        "through the shared cache and always produced 29 tokens",
        "`loss_average='token'` offers the token-weighted loss; the default, 'response', is CRSLab's mean of "
        "per-response means",
    ),
    stages_share_weights=False,  # the recommender and the conversation model share no weights, as in CRSLab
)

__all__ = [
    "CRS_MODEL",
    "CRSInspiredConfig",
    "CRSInspiredForConversation",
    "CRSInspiredForRecommendation",
    "CRSInspiredModel",
    "CRSInspiredPreTrainedModel",
]
