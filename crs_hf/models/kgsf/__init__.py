"""KGSF: entity and word knowledge graphs fused by mutual information, for recommendation and conversation."""

from .configuration_kgsf import KGSFConfig
from .modeling_kgsf import (
    KGSFForConversation,
    KGSFForPretraining,
    KGSFForRecommendation,
    KGSFModel,
    KGSFPreTrainedModel,
)

__all__ = [
    "KGSFConfig",
    "KGSFForConversation",
    "KGSFForPretraining",
    "KGSFForRecommendation",
    "KGSFModel",
    "KGSFPreTrainedModel",
]
