"""Layers shared by the crs_hf models, kept once here and imported by every modeling file that uses them.

Checkpoints load through the library (`import crs_hf`), so no modeling file keeps copies of these; see
`crs_hf.models.modeling_utils` for what a checkpoint says where crs_hf is not installed.
"""

from .attention import CRSSelfAttentionPooling
from .autorec import CRSAutoRec
from .causal_lm import CRSCausalLMMixin, CRSCausalLMOutput, generate_responses, response_logits
from .copy import CRSCopyHead
from .gcn import CRSGraphConv, CRSWordGraphEncoder
from .generation import CRSSeq2SeqGenerationMixin, check_logits_to_keep, last_positions
from .hred import (
    CRSHierarchicalConversationMixin,
    CRSHierarchicalConversationOutput,
    CRSHierarchicalEncoder,
    CRSHierarchicalEncoderOutput,
    CRSHierarchicalModelMixin,
    CRSRecurrentDecoder,
    CRSRecurrentDecoderCache,
    init_gru_,
)
from .loss import token_cross_entropy
from .rgcn import CRSEntityGraphEncoder, CRSRelationalGraphConv, check_graph
from .scoring import CRSEntityScorer
from .transformer import (
    CRSFeedForward,
    CRSGenerationEncoder,
    CRSMultiHeadAttention,
    CRSPositionEmbedding,
    CRSTokenEmbedding,
    CRSTransformerDecoder,
    CRSTransformerDecoderLayer,
    CRSTransformerEncoder,
    CRSTransformerEncoderLayer,
    check_transformer_config,
    context_attention_mask,
    new_decoder_cache,
    prepare_decoder_inputs,
    shift_tokens_right,
    sinusoidal_position_codes,
)

__all__ = [
    "CRSAutoRec",
    "CRSCausalLMMixin",
    "CRSCausalLMOutput",
    "CRSCopyHead",
    "CRSEntityGraphEncoder",
    "CRSEntityScorer",
    "CRSFeedForward",
    "CRSGenerationEncoder",
    "CRSGraphConv",
    "CRSHierarchicalConversationMixin",
    "CRSHierarchicalConversationOutput",
    "CRSHierarchicalEncoder",
    "CRSHierarchicalEncoderOutput",
    "CRSHierarchicalModelMixin",
    "CRSMultiHeadAttention",
    "CRSPositionEmbedding",
    "CRSRecurrentDecoder",
    "CRSRecurrentDecoderCache",
    "CRSRelationalGraphConv",
    "CRSSelfAttentionPooling",
    "CRSSeq2SeqGenerationMixin",
    "CRSTokenEmbedding",
    "CRSTransformerDecoder",
    "CRSTransformerDecoderLayer",
    "CRSTransformerEncoder",
    "CRSTransformerEncoderLayer",
    "CRSWordGraphEncoder",
    "check_graph",
    "check_logits_to_keep",
    "check_transformer_config",
    "context_attention_mask",
    "generate_responses",
    "init_gru_",
    "last_positions",
    "new_decoder_cache",
    "prepare_decoder_inputs",
    "response_logits",
    "shift_tokens_right",
    "sinusoidal_position_codes",
    "token_cross_entropy",
]
