"""Response generation as translation (DuRecDial 2.0 tasks): `CRSSeq2SeqConfig` + `CRSSeq2SeqTrainer`.

The trainer is `transformers.Seq2SeqTrainer` with one change: generation-based evaluation continues from the
response-language prefix of each example (`LanguageCodes`), so English and Chinese responses can share a batch.
Metrics are the DuRecDial 2.0 metrics on decoded text; everything else (Accelerate, DDP/FSDP/DeepSpeed,
checkpoints, `resume_from_checkpoint`, `load_best_model_at_end`) is the Trainer's own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from transformers import (
    EncoderDecoderModel,
    EvalPrediction,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Seq2SeqTrainer,
    Seq2SeqTrainingArguments,
)
from transformers.utils import logging

from crs_hf.data.seq2seq import LANGUAGE_CODES, LanguageCodes
from crs_hf.metrics.durecdial_eval import DuRecDialMetrics
from crs_hf.training.devices import CPUWhenNoAccelerator, KeepWrittenModelCard

logger = logging.get_logger(__name__)

__all__ = [
    "CRSSeq2SeqConfig",
    "CRSSeq2SeqTrainer",
    "add_language_codes",
    "decode_predictions",
    "make_durecdial_compute_metrics",
    "write_predictions",
]


@dataclass
class CRSSeq2SeqConfig(CPUWhenNoAccelerator, Seq2SeqTrainingArguments):
    """Training arguments for response generation as translation.

    Args:
        max_source_length (`int`, defaults to 512): source tokens kept (goal and knowledge first, then the most
            recent context; see `crs_hf.data.seq2seq.encode_source`).
        max_target_length (`int`, defaults to 128): response tokens kept for training.

    NOTE: defaults that differ from `Seq2SeqTrainingArguments`: `predict_with_generate=True`,
    `generation_max_length=64`, `eval_strategy="epoch"`, `save_strategy="epoch"`, `logging_steps=10`, and
    `use_cpu=True` on a machine without an accelerator (so that several CPU processes train together).
    """

    # data
    max_source_length: int = field(default=512, metadata={"help": "Source tokens kept (goal, knowledge, recent context)."})
    max_target_length: int = field(default=128, metadata={"help": "Response tokens kept for training."})
    # defaults changed from Seq2SeqTrainingArguments
    predict_with_generate: bool = field(default=True, metadata={"help": "Evaluate on generated responses."})
    generation_max_length: int | None = field(default=64, metadata={"help": "Longest generated response."})
    eval_strategy: str = field(default="epoch", metadata={"help": "When to evaluate: no, steps or epoch."})
    save_strategy: str = field(default="epoch", metadata={"help": "When to save: no, steps, epoch or best."})
    logging_steps: float = field(default=10, metadata={"help": "Log every N steps."})

    def __post_init__(self):
        super().__post_init__()
        if self.max_source_length < 8 or self.max_target_length < 4:
            raise ValueError(f"max_source_length ({self.max_source_length}) must be >= 8 and max_target_length "
                             f"({self.max_target_length}) >= 4")


def add_language_codes(tokenizer: PreTrainedTokenizerBase, model: PreTrainedModel) -> bool:
    """Adds `en_XX` / `zh_CN` as special tokens (and grows the embeddings) for backbones without mBART's codes,
    e.g. mT5 or an XLM-R encoder-decoder. Returns whether anything was added."""
    missing = [code for code in LANGUAGE_CODES.values() if tokenizer.convert_tokens_to_ids(code) in (None, tokenizer.unk_token_id)]
    if not missing:
        return False
    tokenizer.add_special_tokens({"additional_special_tokens": missing}, replace_extra_special_tokens=False)
    if isinstance(model, EncoderDecoderModel):  # it resizes neither half itself
        for half in (model.encoder, model.decoder):
            half.resize_token_embeddings(len(tokenizer))
    else:
        model.resize_token_embeddings(len(tokenizer))
    return True


def decode_predictions(token_ids: np.ndarray | torch.Tensor, tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """Decodes generated (or label) ids; -100 and padding are dropped, language codes and specials skipped."""
    ids = np.asarray(token_ids)
    ids = np.where(ids < 0, tokenizer.pad_token_id, ids)
    return [text.strip() for text in tokenizer.batch_decode(ids.tolist(), skip_special_tokens=True)]


def make_durecdial_compute_metrics(
    tokenizer: PreTrainedTokenizerBase, records: Sequence[dict[str, Any]], store: dict | None = None
) -> Callable[[EvalPrediction], dict[str, float]]:
    """`compute_metrics` for the Trainer: DuRecDial 2.0 metrics of the generated responses against `records`
    (the evaluated task records, in order). The decoded predictions are left in `store["predictions"]`."""

    def compute_metrics(prediction: EvalPrediction) -> dict[str, float]:
        predictions = decode_predictions(prediction.predictions, tokenizer)
        if len(predictions) != len(records):
            raise ValueError(f"got {len(predictions)} predictions for {len(records)} evaluation records")
        if store is not None:
            store["predictions"] = predictions
        metric = DuRecDialMetrics()
        metric.add_batch(
            predictions,
            [r["response"] for r in records],
            knowledge=[r["knowledge"] for r in records],
            dialog_ids=[r["dialog_id"] for r in records],
            turn_ids=[r["turn_id"] for r in records],
            goals=[r["goal"] for r in records],
            goal_switches=[r["goal_switch"] for r in records],
            languages=[r["target_lang"] for r in records],
        )
        return metric.compute()

    return compute_metrics


class CRSSeq2SeqTrainer(KeepWrittenModelCard, Seq2SeqTrainer):
    """`Seq2SeqTrainer` whose generation starts from each example's response-language prefix.

    Args:
        language_codes: where the language code sits for this tokenizer/model (`LanguageCodes.for_model`).
        *args, **kwargs: as `Seq2SeqTrainer`.
    """

    _tag_names = ["crs_hf", "conversational-recommendation", "durecdial2"]

    def __init__(self, *args, language_codes: LanguageCodes, **kwargs):
        if language_codes is None:
            raise ValueError("`language_codes` is required: build it with LanguageCodes.for_model(tokenizer, ...)")
        super().__init__(*args, **kwargs)
        self.language_codes = language_codes

    def evaluation_loop(self, *args, **kwargs):
        # `Seq2SeqTrainer.evaluate/predict` switch to `accelerator.gather`, which keeps the samples duplicated to
        # even out the last batch across processes; metrics then count some turns twice (and no longer align with
        # the evaluated records). `gather_for_metrics` drops them.
        self.gather_function = self.accelerator.gather_for_metrics
        return super().evaluation_loop(*args, **kwargs)

    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None, **gen_kwargs):
        if self.args.predict_with_generate and not prediction_loss_only and "labels" in inputs:
            gen_kwargs = dict(gen_kwargs or getattr(self, "_gen_kwargs", {}))
            prefix = self.language_codes.prefix_from_labels(inputs["labels"])
            gen_kwargs["decoder_input_ids"] = prefix.to(inputs["labels"].device)
        return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys=ignore_keys, **gen_kwargs)


def write_predictions(path: str | os.PathLike, records: Sequence[dict[str, Any]], predictions: Sequence[str]) -> None:
    """One JSON line per evaluated turn: ids, languages, generated response and reference."""
    with open(path, "w", encoding="utf-8") as handle:
        for record, prediction in zip(records, predictions, strict=True):
            row = {key: record[key] for key in ("dialog_id", "turn_id", "source_lang", "target_lang")}
            row.update(goal=record["goal"], prediction=prediction, reference=record["response"])
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

