"""Tokenisation and n-gram helpers shared by the text metrics.

Tokenisation is explicit because it decides the numbers: BLEU/F1 over Chinese words and over Chinese characters
differ a lot. Modes:

- `"whitespace"`: `text.split()`; for text that is already tokenised (e.g. DuRecDial's word-segmented Chinese).
- `"char"`: every non-space character is a token (the DuConv/DuRecDial convention for Chinese).
- `"mixed"`: CJK characters one by one, other text split on whitespace (bilingual output).
- `"word"`: NLTK's Treebank-style word tokenizer (no sentence splitting, so no `punkt` download is needed).
"""

from __future__ import annotations

import functools
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = ["TOKENIZERS", "ngrams", "normalize_answer", "tokenize"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_MIXED = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


@functools.cache
def _nltk_word_tokenizer():
    from nltk.tokenize import NLTKWordTokenizer

    return NLTKWordTokenizer()


def _word_tokenize(text: str) -> list[str]:
    return _nltk_word_tokenizer().tokenize(text)


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "whitespace": str.split,
    "char": lambda text: [c for c in text if not c.isspace()],
    "mixed": _MIXED.findall,
    "word": _word_tokenize,
}


def tokenize(text: str, tokenizer: str | Callable[[str], list[str]] = "whitespace", lowercase: bool = False) -> list[str]:
    """Splits `text` into tokens with a named mode (see the module docstring) or a callable."""
    if not isinstance(text, str):
        raise TypeError(f"expected a string to tokenize, got {type(text).__name__}")
    if lowercase:
        text = text.lower()
    if callable(tokenizer):
        return list(tokenizer(text))
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {sorted(TOKENIZERS)} or a callable, got {tokenizer!r}")
    return TOKENIZERS[tokenizer](text)


def ngrams(tokens: Sequence[str], n: int) -> Counter:
    """Counts the n-grams of `tokens` as tuples (tuples, not joined strings, so ("ab", "c") != ("a", "bc"))."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation) | set("，。！？；：、“”‘’（）《》【】…")


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation for token F1: lowercase, drop punctuation and English articles, squeeze spaces."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())
