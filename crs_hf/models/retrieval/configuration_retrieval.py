"""Retrieval configuration: the answer-with-the-most-similar-training-context baseline."""

# No `from __future__ import annotations`: @strict checks field types from the evaluated annotations.
from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from crs_hf.models.layers.config_checks import CRSConfigMixin, check_id_range

SIMILARITIES = ("bm25", "tfidf")


@strict
class RetrievalConfig(CRSConfigMixin, PreTrainedConfig):
    r"""
    Configuration of the retrieval baseline ([`RetrievalForConversation`]): each context is answered with the
    training response whose context is the most similar, by BM25 or by TF-IDF cosine over the word-level context
    tokens. It has no weights: the index (term counts of every training context and the training responses) is a
    set of buffers filled by `observe()`; the sizes of those buffers are fields here, so that a saved index is
    rebuilt at its shape by `from_pretrained`.

    Args:
        vocab_size (`int`, *optional*, defaults to 23929):
            Number of tokens (the dataset's `token2id`; the training script sets it): the terms of the index.
        pad_token_id (`int`, *optional*, defaults to 0):
            Padding token: never a term, and it pads the responses `generate()` returns.
        bos_token_id (`int`, *optional*, defaults to 1):
            Start token: never a term, and never part of a stored response.
        eos_token_id (`int`, *optional*, defaults to 2):
            End token: never a term (it separates utterances with `utterance_separator: eos`); `generate()` ends
            every response with it.
        similarity (`str`, *optional*, defaults to `"bm25"`):
            `"bm25"` (Okapi BM25, Robertson & Zaragoza 2009, with Lucene's non-negative idf) or `"tfidf"` (cosine
            of TF-IDF vectors, raw counts times scikit-learn's smoothed idf). See `modeling_retrieval` for both.
        bm25_k1 (`float`, *optional*, defaults to 1.2), bm25_b (`float`, *optional*, defaults to 0.75):
            BM25's term-frequency saturation and length normalisation (Lucene's and Elasticsearch's defaults).
        context_window (`int`, *optional*):
            Compare only the last `context_window` terms of each context (training and query alike), e.g. the
            latest utterances; `None` uses the whole context the data gives (`max_context_tokens`).
        n_documents (`int`, *optional*, defaults to 0):
            Training examples in the index (set by `observe()`).
        n_context_terms (`int`, *optional*, defaults to 0):
            Stored (context, term) pairs: the length of the `context_terms` / `context_term_counts` buffers (set
            by `observe()`).
        n_response_tokens (`int`, *optional*, defaults to 0):
            Stored response tokens, all responses together (set by `observe()`).

    Examples:

    ```python
    >>> from crs_hf.models.retrieval import RetrievalConfig, RetrievalForConversation

    >>> configuration = RetrievalConfig(vocab_size=10, similarity="tfidf")
    >>> model = RetrievalForConversation(configuration)
    >>> model.config.n_documents
    0

    ```"""

    model_type = "crs_retrieval"

    vocab_size: int = 23929
    pad_token_id: int = 0
    bos_token_id: int | None = 1
    eos_token_id: int = 2
    similarity: str = "bm25"
    bm25_k1: float | int = 1.2
    bm25_b: float | int = 0.75
    context_window: int | None = None
    n_documents: int = 0
    n_context_terms: int = 0
    n_response_tokens: int = 0

    def validate_architecture(self):
        """Checks the token ids, the similarity and its parameters, and the index sizes; each error names the value."""
        check_id_range(self, ("pad_token_id", "bos_token_id", "eos_token_id"), "vocab_size")
        if self.similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, but got {self.similarity!r}")
        if self.bm25_k1 < 0 or not 0 <= self.bm25_b <= 1:
            raise ValueError(f"bm25_k1 must be >= 0 and bm25_b in [0, 1], but got bm25_k1={self.bm25_k1}, "
                             f"bm25_b={self.bm25_b}")
        if self.context_window is not None and self.context_window < 1:
            raise ValueError(f"context_window must be at least 1 (or None for the whole context), "
                             f"but got {self.context_window}")
        sizes = {"n_documents": self.n_documents, "n_context_terms": self.n_context_terms,
                 "n_response_tokens": self.n_response_tokens}
        negative = {name: value for name, value in sizes.items() if value < 0}
        if negative:
            raise ValueError(f"index sizes must be >= 0, but got {negative}")


__all__ = ["RetrievalConfig"]
