"""KBRD: knowledge-graph user vectors for recommendation and for a transformer's vocabulary bias."""

from .configuration_kbrd import KBRDConfig
from .modeling_kbrd import KBRDForConversation, KBRDForRecommendation, KBRDModel, KBRDPreTrainedModel

__all__ = ["KBRDConfig", "KBRDForConversation", "KBRDForRecommendation", "KBRDModel", "KBRDPreTrainedModel"]
