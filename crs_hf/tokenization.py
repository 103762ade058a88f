"""Tokenizers trained on the fly, for tiny models in tests, sample recipes and offline work.

Real recipes load a backbone's own tokenizer from the Hub (`AutoTokenizer.from_pretrained("facebook/mbart-large-cc25")`);
a tiny model trained on the embedded sample needs a tokenizer of its own, trained in well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import MBartTokenizer

__all__ = ["train_mbart_tokenizer", "train_unigram_vocab"]

MBART_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0-3, as in mBART's (and XLM-R's) vocabulary


def train_unigram_vocab(texts: Iterable[str], vocab_size: int, special_tokens: list[str]) -> list[tuple[str, float]]:
    """A SentencePiece-style Unigram vocabulary trained on `texts`: `(piece, log-probability)` pairs with
    `special_tokens` first, in that order, as the `vocab=` argument of `MBartTokenizer`, `T5Tokenizer`,
    `XLMRobertaTokenizer` expects it."""
    model = Tokenizer(models.Unigram())
    model.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=special_tokens, unk_token="<unk>", show_progress=False
    )
    model.train_from_iterator(texts, trainer)
    vocab = [(piece, score) for piece, score in json.loads(model.to_str())["model"]["vocab"]]
    if [piece for piece, _ in vocab[: len(special_tokens)]] != special_tokens:
        raise RuntimeError(f"unexpected special-token order in the trained vocabulary: {vocab[: len(special_tokens)]}")
    return vocab


def train_mbart_tokenizer(texts: Iterable[str], vocab_size: int = 2000, **tokenizer_kwargs) -> MBartTokenizer:
    """An `MBartTokenizer` (with mBART's language codes as special tokens) on a vocabulary trained on `texts`, so a
    tiny MBart model behaves like `facebook/mbart-large-cc25`."""
    return MBartTokenizer(vocab=train_unigram_vocab(texts, vocab_size, MBART_SPECIAL_TOKENS), **tokenizer_kwargs)
