"""Retrieval: the training response whose context is the most similar (BM25 or TF-IDF), a floor for generation."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_retrieval import RetrievalConfig
from .modeling_retrieval import RetrievalForConversation, RetrievalModel, RetrievalPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=RetrievalConfig,
    base_model_class=RetrievalModel,
    heads=(
        CRSHead("conv", RetrievalForConversation, inputs=("context_tokens", "response_tokens"),
                side_data=("vocabulary",), auto_class=AutoModelForSeq2SeqLM, trained_by="counting"),
    ),
    name="Retrieval (BM25 / TF-IDF nearest training context)",
    citation=citations.CRSLAB,
    summary="answers with the training response whose context is the most similar (BM25 or TF-IDF cosine)",
    differences_from_crslab=(
        "not a CRSLab model: a retrieval floor for the generated responses (written by people, so their "
        "Distinct and fluency are the data's; BLEU/F1 above it is what a generator adds)",
        "it has no likelihood, so no loss and no perplexity; `generate()` ignores num_beams and sampling",
    ),
)

__all__ = [
    "CRS_MODEL",
    "RetrievalConfig",
    "RetrievalForConversation",
    "RetrievalModel",
    "RetrievalPreTrainedModel",
]
