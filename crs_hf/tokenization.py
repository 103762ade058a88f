"""Tokenizers trained on the fly, for tiny models in tests, sample recipes and offline work.

Real recipes load a backbone's own tokenizer from the Hub (`AutoTokenizer.from_pretrained("facebook/mbart-large-cc25")`);
a tiny model trained on the embedded sample needs a tokenizer of its own, trained in well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import MBartTokenizer

__all__ = ["train_mbart_tokenizer"]

MBART_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0-3, as in mBART's vocabulary


def train_mbart_tokenizer(texts: Iterable[str], vocab_size: int = 2000, **tokenizer_kwargs) -> MBartTokenizer:
    """Trains a SentencePiece-style Unigram vocabulary on `texts` and wraps it as an `MBartTokenizer` (with mBART's
    language codes as special tokens), so a tiny MBart model behaves like `facebook/mbart-large-cc25`."""
    model = Tokenizer(models.Unigram())
    model.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=MBART_SPECIAL_TOKENS, unk_token="<unk>", show_progress=False
    )
    model.train_from_iterator(texts, trainer)
    vocab = [(piece, score) for piece, score in json.loads(model.to_str())["model"]["vocab"]]
    if [piece for piece, _ in vocab[:4]] != MBART_SPECIAL_TOKENS:
        raise RuntimeError(f"unexpected special-token order in the trained vocabulary: {vocab[:4]}")
    return MBartTokenizer(vocab=vocab, **tokenizer_kwargs)
