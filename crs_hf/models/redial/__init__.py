"""ReDial: AutoRec recommendations and a hierarchical encoder-decoder with an item switch."""

from .configuration_redial import ReDialConfig
from .modeling_redial import ReDialForConversation, ReDialForRecommendation, ReDialModel, ReDialPreTrainedModel

__all__ = ["ReDialConfig", "ReDialForConversation", "ReDialForRecommendation", "ReDialModel", "ReDialPreTrainedModel"]
