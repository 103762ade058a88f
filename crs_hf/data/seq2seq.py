"""DuRecDial 2.0 records -> sequence-to-sequence examples, as in the DuRecDial 2.0 paper (§6.2).

The paper fine-tunes mBART "as translation": the goal, the knowledge and the dialog context are concatenated into
the source, a response-language identifier is added, and the response is the target. Here:

- the source text is `[goal] type : topic [plan] type : topic -> ... [knowledge] s r o ; ... [context] [user] ...
  [bot] ...` (`format_source`), in the record's languages (context in the context language, goal and knowledge
  in the response language, exactly what the task config put in the record);
- the response-language identifier is the target language's code token (`en_XX` / `zh_CN`, mBART's own codes;
  added as special tokens to backbones without them, e.g. mT5 or an XLM-R encoder-decoder) at the start of the
  target, as mBART-50 lays targets out (`LanguageCodes`);
- truncation keeps the current goal and knowledge, then as many of the most recent context utterances as fit
  (`encode_source`); the plan is the first thing to go.

Generation continues from the decoder prefix `decoder_start, language code` (`LanguageCodes.decoder_prefix`): what
`forced_bos_token_id=<code>` does, but per example, so a batch of the `multi` task can mix English and Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from crs_hf.data.collate import pad_id_lists

__all__ = ["LANGUAGE_CODES", "LanguageCodes", "Seq2SeqCollator", "encode_example", "encode_source", "format_source"]

LANGUAGE_CODES = {"en": "en_XX", "zh": "zh_CN"}


def _goal_text(goal: dict[str, str]) -> str:
    return goal["type"] if goal["topic"] in ("", goal["type"]) else f"{goal['type']} : {goal['topic']}"


def format_source(record: dict[str, Any], include_plan: bool = True, context: Sequence[str] | None = None) -> str:
    """The source text of one task record (see the module docstring); `context` overrides the record's context."""
    parts = [f"[goal] {_goal_text(record['goal'])}"]
    if include_plan and record.get("goal_sequence"):
        parts.append("[plan] " + " -> ".join(_goal_text(goal) for goal in record["goal_sequence"]))
    if record.get("knowledge"):
        parts.append("[knowledge] " + " ; ".join(" ".join(triple) for triple in record["knowledge"]))
    utterances = record["context"] if context is None else context
    roles = record.get("context_roles") or ["user"] * len(record["context"])
    roles = roles[len(roles) - len(utterances) :]
    if utterances:
        parts.append("[context] " + " ".join(f"[{role}] {text}" for role, text in zip(roles, utterances)))
    return " ".join(parts)


def encode_source(record: dict[str, Any], tokenizer: PreTrainedTokenizerBase, max_length: int) -> list[int]:
    """Token ids of the source, at most `max_length`: drops the plan, then the oldest context utterances, and only
    then cuts the goal/knowledge text itself."""
    context = list(record["context"])
    attempts = [(True, 0)] + [(False, start) for start in range(len(context) + 1)]  # keep context[start:]
    for include_plan, start in attempts:
        ids = tokenizer(format_source(record, include_plan, context[start:]))["input_ids"]
        if len(ids) <= max_length:
            return ids
    return tokenizer(format_source(record, False, []), truncation=True, max_length=max_length)["input_ids"]


@dataclass
class LanguageCodes:
    """The response-language code tokens of a tokenizer, and where they go.

    Labels are always `code, response tokens, eos` (mBART-50's target layout, also used for mBART-cc25, whose own
    tokenizer would put the code last), so the decoder input is `decoder_start, code, response tokens` for every
    backbone, and generation continues from `decoder_start, code` (`decoder_prefix`). `transformers`' `generate`
    keeps a `decoder_input_ids` prefix that starts with the model's decoder start token as it is.

    Attributes:
        code_ids: "en"/"zh" -> token id of `en_XX` / `zh_CN`.
        decoder_start_token_id: the model's decoder start token.
    """

    code_ids: dict[str, int]
    decoder_start_token_id: int

    @classmethod
    def for_model(cls, tokenizer: PreTrainedTokenizerBase, decoder_start_token_id: int | None) -> LanguageCodes:
        """Looks the codes up in the tokenizer (`add_language_codes` adds them to backbones that lack them)."""
        code_ids = {}
        for lang, code in LANGUAGE_CODES.items():
            token_id = tokenizer.convert_tokens_to_ids(code)
            if token_id is None or token_id == tokenizer.unk_token_id:
                raise ValueError(f"the tokenizer has no {code!r} token; add the language codes first "
                                 "(crs_hf.training.seq2seq.add_language_codes)")
            code_ids[lang] = token_id
        if decoder_start_token_id is None:
            raise ValueError("the model config has no decoder_start_token_id; set it before training")
        return cls(code_ids, decoder_start_token_id)

    def encode_target(self, tokenizer: PreTrainedTokenizerBase, text: str, lang: str, max_length: int) -> list[int]:
        """Label ids of a response in language `lang`: code, text tokens (truncated), eos."""
        ids = tokenizer(text_target=text, add_special_tokens=False, truncation=True, max_length=max_length - 2)
        return [self.code_ids[lang], *ids["input_ids"], tokenizer.eos_token_id]

    def decoder_prefix(self, lang: str) -> list[int]:
        """The decoder input that generation continues from; it ends in the response-language code."""
        return [self.decoder_start_token_id, self.code_ids[lang]]

    def prefix_from_labels(self, labels: torch.Tensor) -> torch.Tensor:
        """Decoder prefixes for a batch of labels, whose first token is the language code."""
        return torch.stack([torch.full_like(labels[:, 0], self.decoder_start_token_id), labels[:, 0]], dim=1)


def encode_example(
    record: dict[str, Any],
    tokenizer: PreTrainedTokenizerBase,
    codes: LanguageCodes,
    max_source_length: int = 512,
    max_target_length: int = 128,
) -> dict[str, list[int]]:
    """`input_ids`, `attention_mask` and `labels` for one DuRecDial 2.0 task record."""
    if hasattr(tokenizer, "src_lang"):
        tokenizer.src_lang = LANGUAGE_CODES[record["source_lang"]]
    input_ids = encode_source(record, tokenizer, max_source_length)
    labels = codes.encode_target(tokenizer, record["response"], record["target_lang"], max_target_length)
    return {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels}


@dataclass
class Seq2SeqCollator:
    """Pads `input_ids` / `attention_mask` with the pad id and `labels` with -100 (ignored by the loss)."""

    pad_token_id: int
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        def pad(rows: list[list[int]], value: int) -> torch.Tensor:
            return pad_id_lists(rows, value, self.pad_to_multiple_of)

        batch = {
            "input_ids": pad([f["input_ids"] for f in features], self.pad_token_id),
            "attention_mask": pad([f["attention_mask"] for f in features], 0),
        }
        if "labels" in features[0]:
            batch["labels"] = pad([f["labels"] for f in features], -100)
        return batch
