"""Configuration of the GPT-2 conversation model (Radford et al., "Language Models are Unsupervised Multitask
Learners", 2019): any pretrained causal LM fine-tuned to continue the dialog context with the response."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec

from crs_hf.models.layers.causal_lm import check_causal_lm_config
from crs_hf.models.layers.config_checks import CRSConfigMixin

# The causal LM of `CRSGPT2Config()` before `set_backbone`: a tiny random GPT-2, for tests and examples.
TINY_GPT2 = {"vocab_size": 99, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64,
             "bos_token_id": 98, "eos_token_id": 98}


@strict
class CRSGPT2Config(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of a causal-LM conversation model ([`CRSGPT2ForConversation`]): a pretrained causal LM (any
    `transformers.AutoModelForCausalLM` architecture; GPT-2 in CRSLab) reads the context, then the response, and is
    fine-tuned on the response tokens.

    The LM is built from `decoder_config` alone, so a saved model loads without the backbone's files. A new model
    gets pretrained weights with `model.set_backbone(name_or_path)`, which records the backbone's config here and
    reads the special tokens from its tokenizer.

    Args:
        decoder_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of the causal LM (its `model_type` picks the architecture). Defaults to a tiny random GPT-2
            (`TINY_GPT2`) until `set_backbone` replaces it with the pretrained backbone's config.
        backbone_name_or_path (`str`, *optional*):
            Hub id or folder the weights came from (set by `set_backbone`); the training script loads the tokenizer
            from it. Not needed to load a saved model.
        bos_token_id (`int`, *optional*, defaults to 98):
            The prompt of an empty context (the tokenizer's bos, else cls, else its end token).
        eos_token_id (`int`, *optional*, defaults to 98):
            The token that ends a response, where generation stops (the tokenizer's eos, else sep: `[SEP]` for a
            Chinese GPT-2 with a BERT vocabulary, whose config names GPT-2's English id 50256).
        pad_token_id (`int`, *optional*):
            Pads generated rows that stopped early (the tokenizer's pad, else its end token; `None`: `eos_token_id`).
        initializer_range (`float`, *optional*, defaults to 0.02):
            Std of the normal initialisation of a randomly built LM.

    Examples:

    ```python
    >>> from crs_hf.models.gpt2 import CRSGPT2Config, CRSGPT2ForConversation

    >>> configuration = CRSGPT2Config()
    >>> model = CRSGPT2ForConversation(configuration)  # then model.set_backbone("openai-community/gpt2")
    >>> model.config.decoder_config.model_type
    'gpt2'

    ```"""

    model_type = "crs_gpt2"
    sub_configs_defaults = {
        "decoder_config": SubConfigSpec(config_class=AutoConfig, model_type="gpt2", init_kwargs=TINY_GPT2),
    }

    decoder_config: dict | PreTrainedConfig | None = None
    backbone_name_or_path: str | None = None
    bos_token_id: int | None = 98
    eos_token_id: int | None = 98
    pad_token_id: int | None = None
    initializer_range: float | int = 0.02

    def validate_architecture(self):
        """Cross-field checks; each error names the values involved."""
        check_causal_lm_config(self)


__all__ = ["CRSGPT2Config"]
