"""Layers shared by the crs_hf models, kept once here and imported by every modeling file that uses them.

Checkpoints load through the library (`import crs_hf`), so no modeling file keeps copies of these; see
`crs_hf.models.modeling_utils` for what a checkpoint says where crs_hf is not installed.
"""

from .attention import CRSSelfAttentionPooling
from .autorec import CRSAutoRec
from .copy import CRSCopyHead
from .gcn import CRSGraphConv, CRSWordGraphEncoder
from .hred import CRSHierarchicalEncoder, init_gru_
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
    prepare_decoder_inputs,
    shift_tokens_right,
    sinusoidal_position_codes,
)

__all__ = [
    "CRSAutoRec",
    "CRSCopyHead",
    "CRSEntityGraphEncoder",
    "CRSEntityScorer",
    "CRSFeedForward",
    "CRSGenerationEncoder",
    "CRSGraphConv",
    "CRSHierarchicalEncoder",
    "CRSMultiHeadAttention",
    "CRSPositionEmbedding",
    "CRSRelationalGraphConv",
    "CRSSelfAttentionPooling",
    "CRSTokenEmbedding",
    "CRSTransformerDecoder",
    "CRSTransformerDecoderLayer",
    "CRSTransformerEncoder",
    "CRSTransformerEncoderLayer",
    "CRSWordGraphEncoder",
    "check_graph",
    "init_gru_",
    "prepare_decoder_inputs",
    "shift_tokens_right",
    "sinusoidal_position_codes",
    "token_cross_entropy",
]
