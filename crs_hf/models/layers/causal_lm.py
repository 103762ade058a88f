"""A pretrained causal LM (any `AutoModelForCausalLM`) as a conversation model: context in, response out.

The data layer gives a conversation head the context and the response separately, as it gives an encoder-decoder
(`input_ids` / `attention_mask`: the context, right-padded; `labels`: the response and its end token, padded with
-100). A causal LM reads them as one sequence, built here per row:

    [left padding] [context tokens] [response tokens but the last] [right padding]

with the padding masked and `position_ids` counted over the attention mask (so the first context token is at
position 0 whatever the padding, and training sees the positions `generate()` sees). The logits of the last
`labels.shape[1]` positions are then aligned with `labels`: `logits[:, t]` scores `labels[:, t]` (the last context
token predicts the first response token). `generate()` left-pads the same contexts and returns only the new tokens.

Limits, handled here and documented on the heads:

- a context longer than the backbone's positions leaves room for the response: a row keeps its last
  `n_positions - (response length - 1)` context tokens in training and its last `n_positions - max_new_tokens` in
  generation (the tail, as `max_context_tokens` keeps it);
- an empty context (all padding) becomes the start token alone (`bos`, else `cls`, else the end token), so the
  first response token is still predicted from something;
- a response with no room left for one context token is an error naming the lengths.

The special tokens come from the backbone's tokenizer, by the data layer's rule (`crs_hf.scripts.train_crs
.backbone_tokenizer`): end = eos, else sep; pad = pad, else the end token. A Chinese GPT-2 with a BERT vocabulary
(`uer/gpt2-chinese-cluecorpussmall`) ends with `[SEP]`, although its config names GPT-2's English eos id 50256.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, PreTrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING
from transformers.utils import ModelOutput, logging

logger = logging.get_logger(__name__)

DEFAULT_NEW_TOKENS = 20  # generate()'s response length when neither max_new_tokens nor max_length is set

__all__ = [
    "BackboneTokens",
    "CRSCausalLMMixin",
    "CRSCausalLMOutput",
    "backbone_positions",
    "backbone_tokens",
    "check_causal_lm_config",
    "check_decoder_config",
    "check_inputs",
    "generate_responses",
    "left_align",
    "load_causal_lm",
    "response_logits",
]


@dataclass(frozen=True)
class BackboneTokens:
    """The special tokens a causal-LM conversation head needs: `end` closes a response (the last label), `pad`
    fills generated rows that stopped early, `start` stands in for an empty context."""

    start: int
    end: int
    pad: int


def backbone_tokens(tokenizer=None, config: PreTrainedConfig | None = None) -> BackboneTokens:
    """The special tokens by the data layer's rule (end: eos, else sep; pad: pad, else end; start: bos, else cls,
    else end), read from `tokenizer` where there is one, else from the backbone's `config`."""
    source = tokenizer if tokenizer is not None else config
    names = ("eos_token_id", "sep_token_id", "pad_token_id", "bos_token_id", "cls_token_id")
    eos, sep, pad, bos, cls = (getattr(source, name, None) for name in names)
    end = eos if eos is not None else sep
    if end is None:
        raise ValueError(f"the backbone's {'tokenizer' if tokenizer is not None else 'config'} has neither an eos nor "
                         f"a sep token to end responses with")
    start = next((token for token in (bos, cls) if token is not None), end)
    return BackboneTokens(start=start, end=end, pad=end if pad is None else pad)


def check_decoder_config(config: PreTrainedConfig) -> None:
    """The backbone must be a causal LM (`AutoModelForCausalLM` knows its config class)."""
    if getattr(config, "is_encoder_decoder", False) or type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING:
        raise ValueError(f"the backbone must be a causal LM (an AutoModelForCausalLM architecture), but "
                         f"decoder_config is {config.model_type}")


def check_causal_lm_config(config: PreTrainedConfig) -> None:
    """A causal-LM head's config: `decoder_config` is a causal LM and the special tokens (`bos/eos/pad_token_id`)
    lie in its vocabulary."""
    check_decoder_config(config.decoder_config)
    if config.eos_token_id is None:
        raise ValueError("eos_token_id must be set: the token that ends a response (set_backbone reads it from the "
                         "backbone's tokenizer)")
    vocab_size = config.decoder_config.vocab_size
    for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
        value = getattr(config, name)
        if value is not None and not 0 <= value < vocab_size:
            raise ValueError(f"{name} ({value}) must be in [0, decoder_config.vocab_size={vocab_size})")


def backbone_positions(config: PreTrainedConfig) -> int | None:
    """How many positions the backbone has (`n_positions`, GPT-2's name, else `max_position_embeddings`); `None`
    where it names none."""
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


def load_causal_lm(name_or_path: str, **from_pretrained_kwargs) -> tuple[PreTrainedModel, BackboneTokens]:
    """`AutoModelForCausalLM.from_pretrained(name_or_path)` and its special tokens, from its tokenizer where the
    folder has one (else from its config). A tokenizer larger than the embedding matrix (added tokens) grows it."""
    model = AutoModelForCausalLM.from_pretrained(name_or_path, **from_pretrained_kwargs)
    check_decoder_config(model.config)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError, TypeError) as error:
        logger.warning(f"{name_or_path} has no loadable tokenizer ({error}); its special tokens come from its config")
        tokenizer = None
    tokens = backbone_tokens(tokenizer, model.config)
    if tokenizer is not None and len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    vocab_size = model.get_input_embeddings().num_embeddings
    bad = {name: token for name, token in vars(tokens).items() if not 0 <= token < vocab_size}
    if bad:
        raise ValueError(f"{name_or_path}: special token ids {bad} are outside its vocabulary of {vocab_size}")
    return model, tokens


def _position_ids(attention_mask: torch.Tensor) -> torch.LongTensor:
    """Positions counted over the attended tokens, 0 at padding (as `generate()` counts them)."""
    return (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 0)


def check_inputs(lm: PreTrainedModel, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None,
                 labels: torch.LongTensor | None = None) -> None:
    """`input_ids` `(batch, length)` ids of the LM's vocabulary, `attention_mask` of its shape, `labels`
    `(batch, response_length)` ids or -100: else a `ValueError` naming the offending value."""
    from crs_hf.models.textcnn.modeling_textcnn import check_token_ids  # the models package imports this module

    vocab_size = lm.get_input_embeddings().num_embeddings
    check_token_ids(input_ids, attention_mask, vocab_size)
    if labels is None:
        return
    if labels.dim() != 2 or labels.shape[0] != input_ids.shape[0]:
        raise ValueError(f"labels must be (batch={input_ids.shape[0]}, response_length) token ids, but got "
                         f"{tuple(labels.shape)}")
    tokens = labels[labels != -100]
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"labels hold token ids in [{int(tokens.min())}, {int(tokens.max())}] (besides -100), but "
                         f"the backbone's vocabulary has {vocab_size}")


def left_align(input_ids: torch.LongTensor, attention_mask: torch.Tensor | None, tokens: BackboneTokens,
               keep: torch.Tensor | int | None = None) -> tuple[torch.LongTensor, torch.LongTensor]:
    """Contexts padded on either side -> left-padded, each row keeping its last `keep` tokens (a number, or one per
    row); a row left without tokens gets the start token. Returns `(input_ids, attention_mask)`, as wide as the
    longest kept row."""
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must be (batch, context_length) token ids, but got {tuple(input_ids.shape)}")
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    elif attention_mask.shape != input_ids.shape:
        raise ValueError(f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, but got "
                         f"{tuple(attention_mask.shape)}")
    mask = attention_mask.long()
    order = torch.sort(mask, dim=1, stable=True).indices  # padding first, tokens in their order after it
    ids, mask = input_ids.gather(1, order), mask.gather(1, order)
    lengths = mask.sum(1)
    if keep is not None:
        lengths = torch.minimum(lengths, torch.as_tensor(keep, device=lengths.device))
    empty = lengths == 0
    lengths = lengths.clamp(min=1)
    width = int(lengths.max()) if len(lengths) else 1
    if ids.shape[1] < width:  # a (batch, 0) context
        ids = torch.cat([ids.new_full((len(ids), width - ids.shape[1]), tokens.pad), ids], dim=1)
    ids = ids[:, ids.shape[1] - width:]
    mask = (torch.arange(width, device=ids.device) >= width - lengths[:, None]).long()
    ids = ids.masked_fill(mask == 0, tokens.pad)
    ids[empty, -1] = tokens.start
    return ids, mask


def response_logits(lm: PreTrainedModel, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None,
                    labels: torch.LongTensor, tokens: BackboneTokens) -> torch.FloatTensor:
    """The causal LM's scores of each response token given the context and the response before it:
    `(batch, labels_len, vocab)`, `logits[:, t]` scoring `labels[:, t]` (see the module docstring). Contexts too long
    for the backbone's positions keep their tail."""
    check_inputs(lm, input_ids, attention_mask, labels)
    length = labels.shape[1]
    if length == 0:
        raise ValueError("labels has no response tokens: give each response its end token at least")
    response_mask = (labels[:, :-1] != -100).long()
    keep = None
    positions = backbone_positions(lm.config)
    if positions is not None:
        response_lengths = response_mask.sum(1)  # the response tokens fed, after the context
        if int(response_lengths.max()) >= positions:
            raise ValueError(f"a response of {int(response_lengths.max()) + 1} tokens leaves no room for the context "
                             f"in the backbone's {positions} positions; lower max_response_tokens")
        keep = positions - response_lengths
    context_ids, context_mask = left_align(input_ids, attention_mask, tokens, keep)
    response_ids = labels[:, :-1].masked_fill(response_mask == 0, tokens.pad)
    ids = torch.cat([context_ids, response_ids], dim=1)
    mask = torch.cat([context_mask, response_mask], dim=1)
    return lm(input_ids=ids, attention_mask=mask, position_ids=_position_ids(mask), logits_to_keep=length,
              use_cache=False).logits


def generate_responses(lm: PreTrainedModel, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None,
                       tokens: BackboneTokens, generation_config: GenerationConfig | None = None,
                       **generate_kwargs) -> torch.LongTensor:
    """`lm.generate()` on the left-padded contexts (greedy, beam or sampling, with the backbone's own KV cache);
    returns only the new tokens, `(batch, new_len)`, rows that stopped early padded with the pad token.

    `max_length`, as for an encoder-decoder, counts response tokens: it is `max_new_tokens` when that is not given
    (neither: `DEFAULT_NEW_TOKENS`). Contexts keep their last `n_positions - max_new_tokens` tokens."""
    config = copy.deepcopy(generation_config) if generation_config is not None else GenerationConfig()
    if config.eos_token_id is None:
        config.eos_token_id = tokens.end
    if config.pad_token_id is None:
        config.pad_token_id = tokens.pad
    config.bos_token_id = tokens.start
    new_tokens = generate_kwargs.pop("max_new_tokens", None) or config.max_new_tokens
    max_length = generate_kwargs.pop("max_length", None)
    if new_tokens is None:
        new_tokens = max_length or config.max_length or DEFAULT_NEW_TOKENS
    config.max_new_tokens = new_tokens
    min_length = generate_kwargs.pop("min_length", None)
    if min_length is not None:
        generate_kwargs.setdefault("min_new_tokens", min_length)
    positions = backbone_positions(lm.config)
    keep = None
    if positions is not None:
        if new_tokens >= positions:
            raise ValueError(f"max_new_tokens={new_tokens} leaves no room for the context in the backbone's "
                             f"{positions} positions")
        keep = positions - new_tokens
    check_inputs(lm, input_ids, attention_mask)
    ids, mask = left_align(input_ids, attention_mask, tokens, keep)
    model_kwargs = config.update(**generate_kwargs)  # generation settings into the config; the rest go to the LM
    output = lm.generate(input_ids=ids, attention_mask=mask, generation_config=config, **model_kwargs)
    sequences = output if torch.is_tensor(output) else output.sequences
    return sequences[:, ids.shape[1]:]


@dataclass
class CRSCausalLMOutput(ModelOutput):
    """
    Args:
        loss (`torch.FloatTensor` of shape `()`, returned when `labels` is given):
            Token cross-entropy of `logits` against `labels` (-100 ignored).
        logits (`torch.FloatTensor` of shape `(batch_size, labels_length, vocab_size)`):
            Next-token scores aligned with `labels`: `logits[:, t]` scores `labels[:, t]` given the context and
            `labels[:, :t]`. Without labels, `(batch_size, 1, vocab_size)`: the first response token's.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None


class CRSCausalLMMixin:
    """What a conversation head over causal LMs shares: its special tokens, `set_backbone` and `generate()`
    delegating to the LM's own `GenerationMixin.generate`. The head names its LMs in `_causal_lm_names`."""

    _causal_lm_names: tuple[str, ...] = ()

    @classmethod
    def can_generate(cls) -> bool:
        return True  # `generate()` has GenerationMixin's interface (and a `generation_config`), through the LM's

    @property
    def backbone_tokens(self) -> BackboneTokens:
        config = self.config
        end = config.eos_token_id
        return BackboneTokens(start=end if config.bos_token_id is None else config.bos_token_id, end=end,
                              pad=end if config.pad_token_id is None else config.pad_token_id)

    def set_backbone(self, name_or_path: str, **from_pretrained_kwargs) -> None:
        """Replaces every LM of the head by `AutoModelForCausalLM.from_pretrained(name_or_path,
        **from_pretrained_kwargs)` and records its config (`config.decoder_config`), its origin
        (`config.backbone_name_or_path`) and its tokenizer's special tokens. Call it on a new model."""
        lm, tokens = load_causal_lm(name_or_path, **from_pretrained_kwargs)
        self.config.decoder_config = lm.config
        self.config.backbone_name_or_path = str(name_or_path)
        self.config.bos_token_id, self.config.eos_token_id = tokens.start, tokens.end
        self.config.pad_token_id = tokens.pad
        for index, name in enumerate(self._causal_lm_names):
            parent, _, attribute = name.rpartition(".")
            module = lm if index == 0 else copy.deepcopy(lm)  # CRSLab's two INSPIRED LMs
            setattr(self.get_submodule(parent) if parent else self, attribute, module.to(self.device))
        self.generation_config = GenerationConfig.from_model_config(self.config)

    def _generate(self, lm: PreTrainedModel, input_ids: torch.LongTensor, attention_mask: torch.Tensor | None,
                  generation_config: GenerationConfig | None, generate_kwargs: dict) -> torch.LongTensor:
        return generate_responses(lm, input_ids, attention_mask, self.backbone_tokens,
                                  generation_config or self.generation_config, **generate_kwargs)
