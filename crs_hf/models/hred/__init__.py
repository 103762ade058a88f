"""HRED: the hierarchical recurrent encoder-decoder of ReDial's conversation model, without the item switch."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_hred import HREDConfig
from .modeling_hred import HREDForConversation, HREDModel, HREDPreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=HREDConfig,
    base_model_class=HREDModel,
    heads=(
        CRSHead("conv", HREDForConversation, inputs=("context_utterances", "response_tokens"),
                side_data=("vocabulary",), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="HRED (Serban et al., AAAI 2016), ReDial's conversation model without the item switch",
    citation="\n".join(c.strip() for c in (citations.HRED, citations.REDIAL)),
    summary="a GRU per utterance, a GRU over the utterances, and a decoder GRU started from the context state",
    differences_from_crslab=(
        "CRSLab has no HRED of its own: this is its ReDial conversation model (`ReDialConvModel`: `HRNN` + "
        "`SwitchingDecoder`) without the switch, so every probability goes to words",
        "CRSLab's ReDial conversation model fed the decoder the *previous utterance* (`request`) while scoring it "
        "against the response, so it never learnt to continue its own output and could not decode; here the decoder "
        "reads the response shifted right (teacher forcing) and `generate()` decodes autoregressively (greedy, "
        "beam, sampling), carrying the GRU state between steps as its cache",
        "the loss (and perplexity) covers the response and its end token; CRSLab's ReDial loader scored the "
        "response tokens alone, without an end token, so its decoder could not learn where to stop",
        "a context without any utterance gets a zero context state (CRSLab's packed GRU fails on a length of 0)",
    ),
)

__all__ = ["CRS_MODEL", "HREDConfig", "HREDForConversation", "HREDModel", "HREDPreTrainedModel"]
