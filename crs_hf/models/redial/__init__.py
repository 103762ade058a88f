"""ReDial: AutoRec recommendations and a hierarchical encoder-decoder with an item switch."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_redial import ReDialConfig
from .modeling_redial import ReDialForConversation, ReDialForRecommendation, ReDialModel, ReDialPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=ReDialConfig,
    base_model_class=ReDialModel,
    heads=(
        CRSHead("rec", ReDialForRecommendation, inputs=("context_entities",), side_data=("items",)),
        CRSHead("conv", ReDialForConversation, inputs=("context_utterances", "response_tokens"),
                side_data=("vocabulary",), auto_class=AutoModelForSeq2SeqLM, item_placeholder="__item__"),
    ),
    name="ReDial (Li et al., NeurIPS 2018)",
    citation=citations.REDIAL,
    summary="AutoRec over the mentioned entities; a hierarchical encoder-decoder (HRED) with an item switch",
    differences_from_crslab=(
        "CRSLab's conversation model fed the decoder the *previous utterance* (`request`) while scoring it against "
        "the response, so it never learnt to continue its own output and could not decode; here the decoder reads "
        "the response shifted right (teacher forcing) and `generate()` decodes autoregressively (greedy, beam, "
        "sampling), carrying the GRU state between steps as its cache",
        "the item placeholder is a vocabulary token (`config.item_token_id`) instead of an extra class "
        "`vocab_size`, so generated ids stay tokenizer ids",
        "AutoRec scores the item catalogue, and its output activation defaults to identity "
        "(see `ReDialConfig.autorec_g`); its input is CRSLab's mean of the mentioned entities (`autorec_input`, "
        "`\"sum\"` for a multi-hot input)",
    ),
    stages_share_weights=False,  # the recommender and the conversation model share no weights, as in CRSLab
)

__all__ = ["CRS_MODEL", "ReDialConfig", "ReDialForConversation", "ReDialForRecommendation", "ReDialModel", "ReDialPreTrainedModel"]
