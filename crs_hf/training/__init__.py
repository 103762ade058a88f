"""Trainers: `XxxConfig(TrainingArguments)` + a small `Trainer` subclass per task family."""

from crs_hf.training.seq2seq import CRSSeq2SeqConfig, CRSSeq2SeqTrainer

__all__ = ["CRSSeq2SeqConfig", "CRSSeq2SeqTrainer"]
