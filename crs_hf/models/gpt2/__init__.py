"""GPT-2: any pretrained causal LM fine-tuned to continue the dialog context with the response."""

from transformers import AutoModelForSeq2SeqLM

from crs_hf import citations
from crs_hf.models.contract import CRSHead, CRSModelSpec

from .configuration_gpt2 import CRSGPT2Config
from .modeling_gpt2 import CRSGPT2ForConversation, CRSGPT2Model, CRSGPT2PreTrainedModel

CRS_MODEL = CRSModelSpec(
    config_class=CRSGPT2Config,
    base_model_class=CRSGPT2Model,
    heads=(
        # AutoModelForSeq2SeqLM, as every conversation head: the head maps a context to a response (`labels` are the
        # response alone, `generate()` returns only the new tokens), the seq2seq interface; a causal LM's own
        # interface (labels aligned with input_ids, generate() returning prompt + continuation) is the backbone's.
        CRSHead("conv", CRSGPT2ForConversation, inputs=("context_subwords", "response_subwords"),
                side_data=("backbone",), auto_class=AutoModelForSeq2SeqLM),
    ),
    name="GPT-2 (Radford et al., 2019)",
    citation=citations.GPT2,
    summary="a pretrained causal LM (any AutoModelForCausalLM) fine-tuned on context + response",
    differences_from_crslab=(
        "any `AutoModelForCausalLM` can be the backbone (`set_backbone(name_or_path)`), where CRSLab loaded "
        "`GPT2LMHeadModel` from its own gpt2 en / zh downloads; a saved model holds the backbone's config "
        "(`decoder_config`) and rebuilds from it without the backbone's files",
        "context padding is masked and positions count only real tokens (the first context token is at position 0); "
        "CRSLab left-padded every context to 256 tokens with the pad id 0 (GPT-2's `!`), attended to that padding "
        "and put every response at position 256",
        "utterances and the response end with the tokenizer's end token (GPT-2's `<|endoftext|>`, `[SEP]` for a "
        "BERT-vocabulary Chinese GPT-2) and the response starts right after the context; CRSLab's English GPT-2 "
        "vocabulary used ids 1 and 2 (GPT-2's `\"` and `#`) as start and end tokens and began each response with "
        "the start token",
        "generation reads the whole context (its last `max_context_tokens`, fewer where the backbone's positions "
        "would overflow); CRSLab's `generate` kept only the context's last `response_truncate - 1` (29) tokens",
        "generation uses the backbone's `generate()` (greedy, beam, sampling, its KV cache) and stops at the end "
        "token; CRSLab's greedy loop always produced `response_truncate - 1` tokens",
    ),
)

__all__ = ["CRS_MODEL", "CRSGPT2Config", "CRSGPT2ForConversation", "CRSGPT2Model", "CRSGPT2PreTrainedModel"]
