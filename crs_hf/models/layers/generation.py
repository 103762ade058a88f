"""`generate()` plumbing shared by crs_hf's encoder-decoder conversation heads (KBRD, KGSF, Transformer, HRED,
ReDial): what each decoding step is fed, and which positions get vocabulary logits.

Each head keeps its own cache (an `EncoderDecoderCache` for the transformer decoders, the GRU state for the
recurrent ones), started by its `forward` at the first step, so the cache never depends on how a transformers
release builds default caches. What the step is fed is decided here from the cache itself: the decoder input
minus the tokens the cache already holds, so each step runs the decoder on the new token only, and the
cross-attention keys/values of the memories stay those projected at the first step.
"""

from __future__ import annotations

import torch
from transformers import GenerationMixin

__all__ = ["CRSSeq2SeqGenerationMixin", "check_logits_to_keep", "last_positions"]

# what `GenerationMixin` hands `prepare_inputs_for_generation` for its own bookkeeping, never a forward input
_GENERATION_ONLY = ("next_sequence_length", "is_first_iteration", "cache_position", "labels")


def check_logits_to_keep(logits_to_keep: int, labels: torch.Tensor | None) -> None:
    """`logits_to_keep` is for decoding: it must be >= 0 (0 keeps every position) and cannot go with `labels`,
    whose loss needs the logits of every position."""
    if not isinstance(logits_to_keep, int) or logits_to_keep < 0:
        raise ValueError(f"logits_to_keep must be an int >= 0 (0: every position), but got {logits_to_keep!r}")
    if logits_to_keep and labels is not None:
        raise ValueError(f"logits_to_keep={logits_to_keep} keeps only the last positions' logits, but labels need "
                         "every position's: pass logits_to_keep=0 to compute a loss")


def last_positions(hidden_states: torch.Tensor, logits_to_keep: int = 0) -> torch.Tensor:
    """The `(batch, length, dim)` states whose logits are wanted: the last `logits_to_keep` positions, or every
    position for 0. `generate()` passes 1, so a decoding step projects one state onto the vocabulary."""
    return hidden_states if logits_to_keep == 0 else hidden_states[:, -logits_to_keep:]


class CRSSeq2SeqGenerationMixin(GenerationMixin):
    """`GenerationMixin` for a head whose `forward(decoder_input_ids=..., encoder_outputs=..., past_key_values=...,
    use_cache=..., logits_to_keep=...)` starts its own cache when none is given and returns it as
    `past_key_values`; the cache's `get_seq_length()` counts the decoder tokens it holds.

    Greedy, beam and sampling decoding then run with the cache: the first step feeds the start token (or the
    whole `decoder_input_ids` prefix given to `generate()`), every later step the one new token.
    """

    @classmethod
    def _supports_default_dynamic_cache(cls) -> bool:
        return False  # forward starts the cache (its layout is the head's, e.g. one cross slot per memory)

    def prepare_inputs_for_generation(
        self,
        input_ids: torch.LongTensor,
        past_key_values=None,
        attention_mask: torch.Tensor | None = None,
        encoder_outputs=None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> dict:
        """The inputs of one decoding step: `input_ids` (the decoder tokens so far) minus those the cache holds."""
        past = 0 if past_key_values is None else past_key_values.get_seq_length()
        if past >= input_ids.shape[1]:
            raise ValueError(f"the cache holds {past} decoder tokens, but the decoder input has only "
                             f"{input_ids.shape[1]}: nothing new to decode")
        inputs = {"decoder_input_ids": input_ids[:, past:], "past_key_values": past_key_values,
                  "encoder_outputs": encoder_outputs, "use_cache": use_cache}
        if attention_mask is not None:  # the context's, for a head that re-encodes without encoder_outputs
            inputs["attention_mask"] = attention_mask
        inputs.update((key, value) for key, value in kwargs.items() if key not in _GENERATION_ONLY)
        return inputs
