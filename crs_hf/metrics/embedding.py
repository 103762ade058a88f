r"""Embedding-based response similarity: embedding average, vector extrema and greedy matching (Liu et al., 2016,
"How NOT To Evaluate Your Dialogue System"), in crs_hf's definitions and in CRSLab's, and the word vectors they use.

With h_1..h_n the vectors of a response's tokens and r_1..r_m those of a reference, cos(a, b) = 0 when either is
the zero vector (as scikit-learn's `cosine_similarity`), each score the maximum over the references:

- **emb_avg**: :math:`\cos(\sum_i h_i, \sum_j r_j)` (the cosine of the mean vectors; the mean's scale cancels).
- **emb_extreme**: :math:`\cos(e(h), e(r))` with :math:`e(x)_k` the extreme value of dimension k over the tokens.
- **emb_greedy**: :math:`\tfrac12\big(\tfrac1n\sum_i \max_j \cos(h_i, r_j) + \tfrac1m\sum_j \max_i \cos(h_i, r_j)\big)`.

`variant="standard"` (what to report): a token without a vector (not in the table, or an all-zero row, e.g. a
special token of CRSLab's `word2vec.npy`) is left out; a response or reference with no vector left scores 0
(the pair is counted). :math:`e(x)_k` is the value of largest magnitude (the first token's on a tie).

`variant="crslab"` (`crslab/evaluator/metrics/gen.py`, `crslab/evaluator/standard.py`): every whitespace token
has a vector (CRSLab reads fastText's `cc.<lang>.300.bin`, which has one for any string, zeros for one without a
known character n-gram); here a token missing from the table gets the zero vector. :math:`e(x)_k` is the
maximum if the minimum is positive; if the minimum is negative, the maximum when it exceeds the minimum's
magnitude, else the minimum; and **0 when the minimum is exactly 0** (so one zero vector zeroes every dimension
where the other tokens are positive). The greedy score starts from 0 (`score_max = 0`), so it is never negative.
Empty responses are skipped by `ConversationMetrics` (CRSLab's `if hyp:`), not here; a reference without tokens
scores 0 (CRSLab would fail).

CRSLab's results were computed with fastText's Common Crawl vectors; numbers from other vectors (e.g. the
release's `word2vec.npy`, trained for KGSF's token embeddings) are comparable only with each other: say which.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from crs_hf.errors import CRSDataError

__all__ = [
    "EMBEDDING_METRICS",
    "WordVectors",
    "embedding_scores",
    "embedding_similarity",
    "load_word_vectors",
    "vector_similarity",
]

EMBEDDING_METRICS = ("emb_avg", "emb_extreme", "emb_greedy")
TEXT_SUFFIXES = (".txt", ".vec")
GENSIM_SUFFIXES = (".kv", ".model", ".bin")


class WordVectors:
    """A token -> vector table.

    Args:
        vectors: `(n, dim)` float matrix.
        index: token -> row of `vectors`.
        source: where the vectors came from (named in results and errors).

    Example:
        >>> table = WordVectors.from_mapping({"a": [1.0, 0.0], "b": [0.0, 1.0]})
        >>> vectors, known = table.lookup(["a", "z"])
        >>> vectors.tolist(), known.tolist()
        ([[1.0, 0.0], [0.0, 0.0]], [True, False])
    """

    def __init__(self, vectors: torch.Tensor | np.ndarray, index: Mapping[str, int], source: str | None = None):
        vectors = torch.as_tensor(vectors)
        if vectors.dim() != 2 or not vectors.is_floating_point():
            raise ValueError(f"word vectors must be a 2-D float matrix, but got {vectors.dtype} of shape "
                             f"{tuple(vectors.shape)}")
        bad = [token for token, row in index.items() if not 0 <= row < len(vectors)]
        if bad:
            raise ValueError(f"rows of {bad[:5]} are outside the {len(vectors)} rows of the vectors")
        self.vectors, self.index, self.source = vectors.float(), dict(index), source

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def lookup(self, tokens: Sequence[str]) -> tuple[torch.DoubleTensor, torch.BoolTensor]:
        """`(len(tokens), dim)` float64 vectors (zeros for a token not in the table) and whether each was found."""
        rows = [self.index.get(token, -1) for token in tokens]
        known = torch.tensor([row >= 0 for row in rows], dtype=torch.bool)
        out = torch.zeros(len(tokens), self.dim, dtype=torch.float64)
        if known.any():
            out[known] = self.vectors[[row for row in rows if row >= 0]].double()
        return out, known

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Sequence[float] | torch.Tensor], source: str | None = None):
        """From a dict token -> vector."""
        tokens = list(mapping)
        if not tokens:
            raise ValueError("the word-vector mapping is empty")
        matrix = torch.stack([torch.as_tensor(mapping[t], dtype=torch.float64) for t in tokens])
        return cls(matrix, {token: row for row, token in enumerate(tokens)}, source)

    @classmethod
    def from_npy(cls, path: str | os.PathLike, vocabulary: Mapping[str, int], n_rows: int | None = None):
        """A `.npy` matrix whose row i is the vector of token id i of `vocabulary` (token -> id), e.g. CRSLab's
        `word2vec.npy` `(vocab_size, 300)` with the release's `token2id`. `n_rows` (default: the largest id + 1)
        is the number of rows it must have: `len(tokenizer)`."""
        n_rows = max(vocabulary.values()) + 1 if n_rows is None else n_rows
        try:
            matrix = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise CRSDataError(path, None, None, f"cannot read word vectors as a .npy array: {error}") from error
        if not isinstance(matrix, np.ndarray) or matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.floating):
            shape = getattr(matrix, "shape", None)
            raise CRSDataError(path, None, None, f"expected a 2-D float array (vocabulary size, dim), got "
                                                 f"{getattr(matrix, 'dtype', type(matrix).__name__)} of shape {shape}")
        if matrix.shape[0] != n_rows:
            raise CRSDataError(path, None, None, f"word vectors of shape {matrix.shape}, but the tokenizer has "
                                                 f"{n_rows} tokens: row i must be the vector of token id i")
        return cls(torch.from_numpy(np.ascontiguousarray(matrix)), vocabulary, os.fspath(path))

    @classmethod
    def from_text(cls, path: str | os.PathLike, vocabulary: Mapping[str, int] | None = None):
        """A word2vec / fastText text file (`.vec`, `.txt`): an optional `count dim` header line, then one
        `token v_1 ... v_dim` line per token. With a `vocabulary`, only its tokens are kept (memory)."""
        tokens, rows, dim = {}, [], None
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line_no, line in enumerate(handle, start=1):
                parts = line.rstrip("\n").rstrip().split(" ")
                if line_no == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    continue  # the header
                if not parts or parts == [""]:
                    continue
                dim = len(parts) - 1 if dim is None else dim
                if len(parts) - 1 != dim or dim == 0:
                    raise CRSDataError(path, line_no, None, f"expected a token and {dim} numbers, got "
                                                            f"{len(parts) - 1} values")
                if (vocabulary is not None and parts[0] not in vocabulary) or parts[0] in tokens:
                    continue  # word2vec files keep the first of repeated tokens
                try:
                    rows.append([float(v) for v in parts[1:]])
                except ValueError as error:
                    raise CRSDataError(path, line_no, parts[0], f"not a number: {error}") from error
                tokens[parts[0]] = len(rows) - 1
        if not rows:
            raise CRSDataError(path, None, None, "no word vectors" + (" for the tokenizer's tokens" if vocabulary
                                                                       is not None else ""))
        return cls(torch.tensor(rows, dtype=torch.float32), tokens, os.fspath(path))

    @classmethod
    def from_keyed_vectors(cls, path: str | os.PathLike):
        """A gensim `KeyedVectors` file (`.kv`, `.model`: `KeyedVectors.load`; `.bin`: word2vec binary format).
        Needs gensim, which crs_hf does not require."""
        try:
            from gensim.models import KeyedVectors
        except ImportError as error:
            reason = ("reading gensim KeyedVectors needs gensim (pip install gensim); or give a .npy matrix or a "
                      "word2vec text file (.vec, .txt)")
            raise CRSDataError(path, None, None, reason) from error
        try:
            if Path(path).suffix == ".bin":
                keyed = KeyedVectors.load_word2vec_format(os.fspath(path), binary=True)
            else:
                keyed = KeyedVectors.load(os.fspath(path))
        except Exception as error:  # gensim raises many kinds (pickle, EOF, Unicode, ...)
            raise CRSDataError(path, None, None, f"cannot read gensim KeyedVectors: {error}") from error
        return cls(torch.as_tensor(np.asarray(keyed.vectors)), dict(keyed.key_to_index), os.fspath(path))


def load_word_vectors(path: str | os.PathLike, tokenizer=None) -> WordVectors:
    """Word vectors by file type: `.npy` (row i = token id i of `tokenizer`, which it needs; `len(tokenizer)`
    rows), `.vec` / `.txt` (word2vec text format), `.kv` / `.model` / `.bin` (gensim `KeyedVectors`).

    Raises:
        CRSDataError: the file is missing, unreadable, or not aligned with the tokenizer (a `.npy` of another shape).
    """
    path = Path(path)
    if not path.is_file():
        raise CRSDataError(path, None, None, "word-vector file not found")
    vocabulary = None if tokenizer is None else tokenizer.get_vocab()
    if path.suffix == ".npy":
        if tokenizer is None:
            raise ValueError(f"{path}: a .npy matrix is aligned with a tokenizer's ids: pass the tokenizer")
        return WordVectors.from_npy(path, vocabulary, n_rows=len(tokenizer))
    if path.suffix in TEXT_SUFFIXES:
        return WordVectors.from_text(path, vocabulary)
    if path.suffix in GENSIM_SUFFIXES:
        return WordVectors.from_keyed_vectors(path)
    raise CRSDataError(path, None, None, f"unknown word-vector format {path.suffix!r}: expected .npy, "
                                         f"{', '.join(TEXT_SUFFIXES + GENSIM_SUFFIXES)}")


Embeddings = WordVectors | Mapping[str, Sequence[float] | torch.Tensor] | Callable[[list[str]], torch.Tensor | None]


def as_word_vectors(embeddings: Embeddings) -> WordVectors | Callable:
    """A `WordVectors` for a mapping; a `WordVectors` or a callable (tokens -> the vectors it knows) as given."""
    if isinstance(embeddings, WordVectors) or callable(embeddings):
        return embeddings
    if isinstance(embeddings, Mapping):
        return WordVectors.from_mapping(embeddings)
    raise TypeError(f"embeddings must be WordVectors, a token -> vector mapping or a callable, "
                    f"got {type(embeddings).__name__}")


def _lookup(embeddings: WordVectors | Callable, tokens: list[str]) -> tuple[torch.DoubleTensor, torch.BoolTensor]:
    if isinstance(embeddings, WordVectors):
        return embeddings.lookup(tokens)
    vectors = embeddings(tokens)  # a callable returns the vectors of the tokens it knows
    if vectors is None or len(vectors) == 0:
        return torch.zeros(0, 1, dtype=torch.float64), torch.zeros(0, dtype=torch.bool)
    vectors = torch.as_tensor(vectors).detach().double()
    return vectors, torch.ones(len(vectors), dtype=torch.bool)


def _cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine along the last dimension; 0 where either side is the zero vector (scikit-learn's convention)."""
    norms = a.norm(dim=-1) * b.norm(dim=-1)
    return torch.where(norms > 0, (a * b).sum(-1) / norms.clamp(min=torch.finfo(a.dtype).tiny), 0.0)


def _unit(vectors: torch.Tensor) -> torch.Tensor:
    norms = vectors.norm(dim=-1, keepdim=True)
    return vectors / norms.clamp(min=torch.finfo(vectors.dtype).tiny)  # zero rows stay zero


def _extrema(vectors: torch.Tensor, variant: str) -> torch.Tensor:
    if variant == "standard":
        return vectors.gather(0, vectors.abs().argmax(dim=0, keepdim=True)).squeeze(0)
    high, low = vectors.max(dim=0).values, vectors.min(dim=0).values
    negative_side = torch.where(high > -low, high, low)
    return torch.where(low > 0, high, torch.where(low < 0, negative_side, torch.zeros_like(low)))


def vector_similarity(hypothesis: torch.Tensor, reference: torch.Tensor, variant: str = "standard"
                      ) -> dict[str, float]:
    """The three scores of one response `(n, dim)` against one reference `(m, dim)` token vectors (see the module
    docstring); the standard variant expects the vectors of known tokens only. Either side empty scores 0.

    Example:
        >>> scores = vector_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        >>> {name: round(value, 4) for name, value in scores.items()}
        {'emb_avg': 0.7071, 'emb_extreme': 0.7071, 'emb_greedy': 0.75}
    """
    if len(hypothesis) == 0 or len(reference) == 0:
        return dict.fromkeys(EMBEDDING_METRICS, 0.0)
    pairwise = _unit(hypothesis) @ _unit(reference).T  # (n, m) cosines, 0 for zero vectors
    return {
        "emb_avg": _cosine(hypothesis.sum(0), reference.sum(0)).item(),
        "emb_extreme": _cosine(_extrema(hypothesis, variant), _extrema(reference, variant)).item(),
        "emb_greedy": 0.5 * (pairwise.max(dim=1).values.mean() + pairwise.max(dim=0).values.mean()).item(),
    }


def _token_vectors(tokens: list[str], embeddings: WordVectors | Callable, variant: str) -> torch.Tensor:
    found, known = _lookup(embeddings, tokens)
    if variant == "standard":  # known tokens with a non-zero vector only
        return found[known & (found.abs().sum(-1) > 0)]
    return found  # CRSLab: every token, zeros for the unknown ones


def embedding_similarity(hypothesis: list[str], reference: list[str], embeddings: Embeddings,
                         variant: str = "standard") -> dict[str, float]:
    """emb_avg / emb_extreme / emb_greedy of a tokenised response against one tokenised reference."""
    embeddings = as_word_vectors(embeddings)
    return vector_similarity(_token_vectors(hypothesis, embeddings, variant),
                             _token_vectors(reference, embeddings, variant), variant)


def embedding_scores(hypothesis: list[str], references: list[list[str]], embeddings: Embeddings,
                     variant: str = "standard") -> dict[str, float]:
    """emb_avg / emb_extreme / emb_greedy of a tokenised response against tokenised references, each the maximum
    over the references (CRSLab's greedy score also at least 0)."""
    embeddings = as_word_vectors(embeddings)
    hyp = _token_vectors(hypothesis, embeddings, variant)
    scores = [vector_similarity(hyp, _token_vectors(r, embeddings, variant), variant) for r in references]
    best = {name: max(score[name] for score in scores) for name in EMBEDDING_METRICS}
    if variant == "crslab":
        best["emb_greedy"] = max(best["emb_greedy"], 0.0)
    return best
