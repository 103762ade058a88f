"""Layers shared by the crs_hf models, kept once here.

A model that must also load with `trust_remote_code=True` without crs_hf installed (KBRD) keeps
`# Copied from crs_hf.models.layers.<module>.<Name>` copies of what it uses in its own modeling file;
`python -m crs_hf.models.check_copies` checks them (and `--fix` rewrites them).
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
    "CRS_INITIALIZED_LAYERS",
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

# Modules whose `reset_parameters` holds an initialisation that `PreTrainedModel._init_weights` lacks.
CRS_INITIALIZED_LAYERS = (
    CRSAutoRec, CRSCopyHead, CRSEntityScorer, CRSFeedForward, CRSGraphConv, CRSHierarchicalEncoder,
    CRSMultiHeadAttention, CRSPositionEmbedding, CRSRelationalGraphConv, CRSSelfAttentionPooling, CRSTokenEmbedding,
    CRSWordGraphEncoder,
)
