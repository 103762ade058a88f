"""Tokenizers trained on the fly, for tiny models in tests, sample recipes and offline work.

Real recipes load a backbone's own tokenizer from the Hub (`AutoTokenizer.from_pretrained("facebook/mbart-large-cc25")`);
a tiny model trained on the embedded sample needs a tokenizer of its own, trained in well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import MBartTokenizer, PreTrainedTokenizerFast

__all__ = ["train_mbart_tokenizer", "train_unigram_vocab", "word_level_tokenizer"]

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


def word_level_tokenizer(token_ids: dict[str, int], pad_token: str = "__pad__", bos_token: str = "__start__",
                         eos_token: str = "__end__", unk_token: str = "__unk__") -> PreTrainedTokenizerFast:
    """A `tokenizers` word-level tokenizer over a CRSLab `token2id` table (text is whitespace-tokenised, as in
    CRSLab's releases), so that ids equal CRSLab's and `AutoTokenizer.from_pretrained(checkpoint)` works."""
    missing = [t for t in (pad_token, bos_token, eos_token, unk_token) if t not in token_ids]
    if missing:
        raise ValueError(f"token2id lacks the special token(s) {missing}")
    model = Tokenizer(models.WordLevel(vocab=dict(token_ids), unk_token=unk_token))
    model.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    model.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins tokens with single spaces
    return PreTrainedTokenizerFast(tokenizer_object=model, pad_token=pad_token, bos_token=bos_token,
                                   eos_token=eos_token, unk_token=unk_token)
