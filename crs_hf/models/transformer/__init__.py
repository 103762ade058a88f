"""Transformer: CRSLab's knowledge-free encoder-decoder conversation baseline over the context tokens."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_transformer import TransformerConfig
from .modeling_transformer import TransformerForConversation, TransformerModel, TransformerPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=TransformerConfig,
    base_model_class=TransformerModel,
    heads=(
        CRSHead("conv", TransformerForConversation, inputs=("context_tokens", "response_tokens"),
                side_data=("vocabulary",), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="Transformer (Vaswani et al., NeurIPS 2017), CRSLab's conversation baseline",
    citation=citations.TRANSFORMER,
    summary="a transformer encoder-decoder over the context tokens, one shared token embedding, no knowledge",
    differences_from_crslab=(
        "the loss (and perplexity) covers the response and its end token; CRSLab's responses also began with the "
        "start token, which its decoder, fed START first, learnt to predict: one trivial token per response in its "
        "mean",
        "generation uses `GenerationMixin.generate` (greedy, beam, sampling) with a KV cache, where CRSLab's greedy "
        "loop re-ran the decoder on the whole prefix (`incr_state` stayed None) and it had no beam search",
        "token embeddings start from N(0, token_emb_dim^-1/2), ParlAI's initialisation; CRSLab's Transformer used "
        "kg_emb_dim^-1/2, the std of its knowledge-graph models, although this model has no graph",
        "a context without any token (all padding) gets a zero cross-attention update instead of an average over "
        "padding vectors",
    ),
)

__all__ = ["CRS_MODEL", "TransformerConfig", "TransformerForConversation", "TransformerModel",
           "TransformerPreTrainedModel"]
