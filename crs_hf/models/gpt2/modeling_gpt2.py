"""The GPT-2 conversation model (Radford et al., "Language Models are Unsupervised Multitask Learners", 2019) as
CRSLab's `crslab/model/conversation/gpt2/gpt2.py` uses it: a pretrained causal LM reads the dialog context and is
fine-tuned to continue it with the response,

    loss = - sum_t log p(y_t | context, y_<t) / #response tokens,

the context's utterances each closed by the tokenizer's end token (`--utterance_separator eos`, the documented
separator: GPT-2's `<|endoftext|>`), the response closed by it too, so generation stops there.

The LM is any `transformers.AutoModelForCausalLM`, built from `config.decoder_config`; a new model is random until
`set_backbone(name_or_path)` loads pretrained weights. How context and response become one sequence, and what
happens to a context too long for the backbone's positions or an empty one: `crs_hf.models.layers.causal_lm`.

Differences from CRSLab: see `CRS_MODEL.differences_from_crslab` in this folder's `__init__.py`.
"""

import torch
from torch import nn
from transformers import AutoModelForCausalLM, GenerationConfig
from transformers.utils import ModelOutput, logging

from crs_hf.models.layers.causal_lm import CRSCausalLMMixin, CRSCausalLMOutput, response_logits
from crs_hf.models.layers.loss import token_cross_entropy
from crs_hf.models.modeling_utils import CRSPreTrainedModel

from .configuration_gpt2 import CRSGPT2Config

logger = logging.get_logger(__name__)


class CRSGPT2PreTrainedModel(CRSPreTrainedModel):
    """The LM is a `PreTrainedModel` of its own, which `post_init` initialises with its own `_init_weights`."""

    config_class = CRSGPT2Config
    base_model_prefix = "model"
    main_input_name = "input_ids"
    supports_gradient_checkpointing = True  # the backbones' layers checkpoint themselves
    _supports_sdpa = True  # an `attn_implementation` request passes on to the LM, which checks its own support
    _supports_flash_attn = True
    _supports_flex_attn = True


class CRSGPT2Model(CRSGPT2PreTrainedModel):
    """The causal LM; its forward gives the last hidden states of the context."""

    def __init__(self, config: CRSGPT2Config):
        super().__init__(config)
        self.lm = AutoModelForCausalLM.from_config(config.decoder_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.lm.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.lm.set_input_embeddings(value)

    def forward(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None) -> ModelOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the backbone tokenizer's subwords.
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens, 0 at padding; default: no padding.
        """
        return self.lm.base_model(input_ids=input_ids, attention_mask=attention_mask)


class CRSGPT2ForConversation(CRSCausalLMMixin, CRSGPT2PreTrainedModel):
    """Fine-tunes the causal LM on the responses; `generate()` continues each context with a response."""

    accepts_loss_kwargs = True  # forward takes `num_items_in_batch`
    _causal_lm_names = ("model.lm",)

    def __init__(self, config: CRSGPT2Config):
        super().__init__(config)
        self.model = CRSGPT2Model(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.model.set_input_embeddings(value)

    def forward(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        num_items_in_batch: torch.Tensor | int | None = None,
    ) -> CRSCausalLMOutput:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch_size, context_length)`):
            The context in the backbone tokenizer's subwords, padded on either side (the data layer pads right).
        attention_mask (`torch.Tensor` of shape `(batch_size, context_length)`, *optional*):
            1 at context tokens, 0 at padding; default: no padding (GPT-2 pads with its end token, which also ends
            each utterance, so padding cannot be told from the ids).
        labels (`torch.LongTensor` of shape `(batch_size, response_length)`, *optional*):
            The response followed by the end token (`config.eos_token_id`), padded with -100.
        num_items_in_batch (`int`, *optional*):
            Labelled tokens of the whole optimizer step (passed by `Trainer`): the loss is then a sum divided by it.
        """
        lm = self.model.lm
        if labels is None:  # the first response token's scores
            labels = input_ids.new_full((input_ids.shape[0], 1), self.config.eos_token_id)
            return CRSCausalLMOutput(logits=response_logits(lm, input_ids, attention_mask, labels,
                                                            self.backbone_tokens))
        logits = response_logits(lm, input_ids, attention_mask, labels, self.backbone_tokens)
        return CRSCausalLMOutput(loss=token_cross_entropy(logits, labels, num_items_in_batch), logits=logits)

    @torch.no_grad()
    def generate(self, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None = None,
                 generation_config: GenerationConfig | None = None, **generate_kwargs) -> torch.LongTensor:
        r"""
        Continues each context with a response through the LM's `generate()` (greedy, beam search or sampling, with
        its KV cache; any of its keyword arguments), on the contexts left-padded.

        Returns:
            `torch.LongTensor` of shape `(batch_size, new_tokens)`: only the generated tokens, rows that stopped
            early padded with `config.pad_token_id`. `max_length`, as for an encoder-decoder, counts response
            tokens.
        """
        return self._generate(self.model.lm, input_ids, attention_mask, generation_config, generate_kwargs)


__all__ = ["CRSGPT2ForConversation", "CRSGPT2Model", "CRSGPT2PreTrainedModel"]
