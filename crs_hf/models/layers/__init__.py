"""Layers shared by the crs_hf models, kept once here.

The models load with `trust_remote_code=True` where crs_hf is not installed, so each of KBRD, KGSF and ReDial keeps
`# Copied from crs_hf.models.layers.<module>.<Name>` copies of what it uses in its own modeling file (this package
is where the layers are written, tested and benchmarked);
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
