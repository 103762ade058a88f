r"""Conversation metrics: BLEU, Distinct, token F1, embedding similarity, perplexity, each in two variants.

`variant="standard"` (what to report):

- **bleu@n**: corpus-level cumulative BLEU-n (uniform weights over 1..n-grams, clipped counts, corpus brevity
  penalty with the closest reference length, sacrebleu's "exp" smoothing), computed from additive statistics with
  `sacrebleu.metrics.bleu.BLEU.compute_bleu`; it equals `sacrebleu.corpus_bleu(..., tokenize="none")` on the
  space-joined tokens. **sentence_bleu@n**: the mean of sentence-level BLEU-n (as `sacrebleu.sentence_bleu`:
  "exp" smoothing, effective order).
- **dist@n**: distinct word n-grams / all word n-grams over the whole corpus (inter-response Distinct).
- **f1**: SQuAD-style token F1 (lowercased, punctuation and English articles removed), max over references,
  mean over responses; an empty response scores 0 (it is counted, never skipped).
- **emb_avg / emb_extreme / emb_greedy** (given word vectors): cosine of the mean token vectors; cosine of the
  vector extrema (per dimension the value of largest magnitude); greedy matching
  :math:`\tfrac12(\overline{\max_j \cos(h_i, r_j)}^{\,i} + \overline{\max_i \cos(h_i, r_j)}^{\,j})`; max over
  references, mean over responses. Tokens without a vector are skipped; a side with none scores 0 (see
  `crs_hf.metrics.embedding`, which also reads the vectors: `.npy`, word2vec text, gensim `KeyedVectors`).
- **empty**: the share of responses without a token; they are counted by every metric above (no n-grams, F1 and
  embedding scores 0).
- **ppl**: token-weighted perplexity :math:`\exp(\sum \mathrm{NLL} / \#\mathrm{tokens})`, exact under any batching.
  It is comparable only between models that share one tokenisation (the same vocabulary and the same reference
  tokens: the word-level `token2id` of a CRSLab release, or one subword tokenizer): a finer tokenisation
  predicts more, easier tokens, so its perplexity is lower for the same text.

`variant="crslab"` (to compare with CRSLab's published tables; formulas of `crslab/evaluator/metrics/gen.py`).
As CRSLab's `StandardEvaluator.gen_evaluate` (`if hyp:`), a response without a token is **skipped** by every
metric of this variant (BLEU, Distinct, F1 and the embedding metrics; a model that answers mostly nothing is
scored on its few non-empty answers); **empty** reports the share skipped, and if every response is empty the
other metrics are 0.

- **bleu@n**: mean over responses of nltk's *individual* n-gram score with brevity penalty, no smoothing:
  :math:`\mathrm{BP}\cdot p_n` (zero if no n-gram matches); one reference (the first).
- **dist@n**: distinct *character* n-grams of the response strings (spaces included), collected over the corpus
  and divided by the number of responses, so values can exceed 1.
- **f1**: whitespace-token F1 with clipped overlap, no normalisation, max over references.
- **emb_avg / emb_extreme / emb_greedy**: CRSLab's `EmbeddingAverage`, `VectorExtrema` and `GreedyMatch`: an
  unknown token has the zero vector, the extrema keep CRSLab's rule (0 in a dimension whose minimum is 0) and the
  greedy score is at least 0 (see `crs_hf.metrics.embedding`).
- **ppl**: :math:`\exp` of the mean of per-batch mean losses (not skipped: CRSLab adds it per batch).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from sacrebleu.metrics.bleu import BLEU

from crs_hf.metrics.embedding import (  # noqa: F401  (embedding_similarity: re-exported)
    EMBEDDING_METRICS,
    Embeddings,
    as_word_vectors,
    embedding_scores,
    embedding_similarity,
)
from crs_hf.metrics.streaming import StreamingMetric
from crs_hf.metrics.text import ngrams, normalize_answer, tokenize

__all__ = [
    "ConversationMetrics",
    "Perplexity",
    "bleu_statistics",
    "conversation_metrics",
    "embedding_similarity",
    "token_f1",
]

VARIANTS = ("standard", "crslab")


def _check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    return variant


def _as_reference_lists(predictions: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]) -> list[list[str]]:
    if isinstance(predictions, str) or isinstance(references, str):
        raise TypeError("predictions and references must be sequences of strings, not a single string")
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions but {len(references)} references; expected one each")
    out = []
    for index, (prediction, refs) in enumerate(zip(predictions, references)):
        refs = [refs] if isinstance(refs, str) else list(refs)
        if not isinstance(prediction, str):
            raise TypeError(f"predictions[{index}] is {type(prediction).__name__}, expected str")
        if not refs or not all(isinstance(r, str) for r in refs):
            raise ValueError(f"references[{index}] must be a string or a non-empty list of strings, got {refs!r}")
        out.append(refs)
    return out


def bleu_statistics(hypothesis: list[str], references: list[list[str]], max_n: int) -> tuple[list[int], list[int], int, int]:
    """(clipped matches per order, hypothesis n-grams per order, hypothesis length, closest reference length)."""
    correct, total = [], []
    for n in range(1, max_n + 1):
        hyp_counts = ngrams(hypothesis, n)
        max_ref: Counter = Counter()
        for reference in references:
            max_ref |= ngrams(reference, n)
        correct.append(sum(min(count, max_ref[gram]) for gram, count in hyp_counts.items()))
        total.append(max(len(hypothesis) - n + 1, 0))
    ref_len = min((abs(len(r) - len(hypothesis)), len(r)) for r in references)[1]
    return correct, total, len(hypothesis), ref_len


def _bleu(correct, total, sys_len, ref_len, n: int, effective_order: bool) -> float:
    score = BLEU.compute_bleu(correct[:n], total[:n], sys_len, ref_len, smooth_method="exp",
                              effective_order=effective_order, max_ngram_order=n)
    return score.score / 100.0


def _crslab_bleu(hypothesis: list[str], reference: list[str], n: int) -> float:
    """nltk `sentence_bleu([ref], hyp, weights=one-hot(n))` without smoothing: BP * p_n."""
    matches = sum((ngrams(hypothesis, n) & ngrams(reference, n)).values())
    if matches == 0:
        return 0.0
    precision = matches / max(1, len(hypothesis) - n + 1)
    c, r = len(hypothesis), len(reference)
    return precision * (1.0 if c > r else math.exp(1 - r / c))


def token_f1(prediction: list[str], reference: list[str]) -> float:
    """Unigram F1 with clipped overlap; 1.0 if both are empty, 0.0 if only one is."""
    if not prediction or not reference:
        return float(prediction == reference)
    overlap = sum((Counter(prediction) & Counter(reference)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(prediction), overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


class ConversationMetrics(StreamingMetric):
    """Streaming BLEU / Distinct / F1 (/ embedding metrics) over (prediction, reference) pairs.

    Args:
        variant: `"standard"` or `"crslab"` (see the module docstring for every formula).
        tokenizer: a mode of `crs_hf.metrics.text.tokenize` or a callable; `"char"` for Chinese.
        lowercase: lowercase before tokenising (the standard F1 always lowercases).
        max_n: the largest n for bleu@n and dist@n (default 4).
        embeddings: `crs_hf.metrics.embedding.WordVectors` (e.g. `load_word_vectors("word2vec.npy", tokenizer)`),
            a token -> vector mapping, or a callable tokens -> (len, dim) tensor of the tokens it knows (e.g. a
            model's input embeddings after its tokenizer); adds emb_avg / emb_extreme / emb_greedy.

    Example:
        >>> metric = ConversationMetrics(max_n=2)
        >>> metric.add_batch(["the cat sat"], ["the cat sat down"])
        >>> {k: round(v, 4) for k, v in metric.compute().items()}
        {'bleu@1': 0.7165, 'bleu@2': 0.7165, 'sentence_bleu@1': 0.7165, 'sentence_bleu@2': 0.7165, 'dist@1': 1.0, 'dist@2': 1.0, 'f1': 0.8, 'empty': 0.0}
    """

    def __init__(
        self,
        variant: str = "standard",
        tokenizer: str | Callable[[str], list[str]] = "whitespace",
        lowercase: bool = False,
        max_n: int = 4,
        embeddings: Embeddings | None = None,
    ) -> None:
        if max_n < 1:
            raise ValueError(f"max_n must be at least 1, got {max_n}")
        self.variant = _check_variant(variant)
        self.tokenizer, self.lowercase, self.max_n = tokenizer, lowercase, max_n
        self.embeddings = None if embeddings is None else as_word_vectors(embeddings)
        super().__init__()

    def add_batch(self, predictions: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]) -> None:
        """Adds pairs; each reference is a string or a list of strings (several references)."""
        for prediction, refs in zip(predictions, _as_reference_lists(predictions, references)):
            hyp = tokenize(prediction, self.tokenizer, self.lowercase)
            ref_tokens = [tokenize(r, self.tokenizer, self.lowercase) for r in refs]
            self._add("n", 1)
            if not hyp:
                self._add("empty", 1)
                if self.variant == "crslab":  # CRSLab's gen_evaluate: `if hyp:`
                    continue
            if self.variant == "standard":
                self._add_standard(prediction, refs, hyp, ref_tokens)
            else:
                self._add_crslab(prediction, hyp, ref_tokens)
            if self.embeddings is not None:
                for name, value in embedding_scores(hyp, ref_tokens, self.embeddings, self.variant).items():
                    self._add(name, value)

    def _add_standard(self, prediction: str, refs: list[str], hyp: list[str], ref_tokens: list[list[str]]) -> None:
        correct, total, sys_len, ref_len = bleu_statistics(hyp, ref_tokens, self.max_n)
        for n in range(1, self.max_n + 1):
            self._add(f"correct_{n}", correct[n - 1])
            self._add(f"total_{n}", total[n - 1])
            self._add(f"sentence_bleu@{n}", _bleu(correct, total, sys_len, ref_len, n, effective_order=True))
            grams = ngrams(hyp, n)
            self._union(f"ngrams_{n}", grams)
            self._add(f"ngram_count_{n}", sum(grams.values()))
        self._add("sys_len", sys_len)
        self._add("ref_len", ref_len)
        normalised = tokenize(normalize_answer(prediction), self.tokenizer)
        self._add("f1", max(token_f1(normalised, tokenize(normalize_answer(r), self.tokenizer)) for r in refs))

    def _add_crslab(self, prediction: str, hyp: list[str], ref_tokens: list[list[str]]) -> None:
        for n in range(1, self.max_n + 1):
            self._add(f"bleu@{n}", _crslab_bleu(hyp, ref_tokens[0], n))
            self._union(f"char_ngrams_{n}", (prediction[i : i + n] for i in range(len(prediction) - n + 1)))
        self._add("f1", max(token_f1(hyp, r) for r in ref_tokens))

    def compute(self) -> dict[str, float]:
        n_pairs = self.sums.get("n", 0)
        if n_pairs == 0:
            raise ValueError("no prediction/reference pairs were added; nothing to compute")
        s = self.sums
        result: dict[str, float] = {}
        orders = range(1, self.max_n + 1)
        if self.variant == "standard":
            correct = [int(s[f"correct_{n}"]) for n in orders]
            total = [int(s[f"total_{n}"]) for n in orders]
            for n in orders:
                result[f"bleu@{n}"] = _bleu(correct, total, int(s["sys_len"]), int(s["ref_len"]), n, effective_order=False)
            for n in orders:
                result[f"sentence_bleu@{n}"] = s[f"sentence_bleu@{n}"] / n_pairs
            for n in orders:
                count = s[f"ngram_count_{n}"]
                result[f"dist@{n}"] = len(self.sets[f"ngrams_{n}"]) / count if count else 0.0
            n_scored = n_pairs
        else:
            n_scored = n_pairs - s["empty"]  # the non-empty responses
            for n in orders:
                result[f"bleu@{n}"] = s[f"bleu@{n}"] / n_scored if n_scored else 0.0
            for n in orders:
                result[f"dist@{n}"] = len(self.sets[f"char_ngrams_{n}"]) / n_scored if n_scored else 0.0
        result["f1"] = s["f1"] / n_scored if n_scored else 0.0
        if self.embeddings is not None:
            for name in EMBEDDING_METRICS:
                result[name] = s[name] / n_scored if n_scored else 0.0
        result["empty"] = s["empty"] / n_pairs
        return result


def conversation_metrics(
    predictions: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]], **kwargs
) -> dict[str, float]:
    """One-shot `ConversationMetrics` (same keyword arguments)."""
    metric = ConversationMetrics(**kwargs)
    metric.add_batch(predictions, references)
    return metric.compute()


class Perplexity(StreamingMetric):
    """Perplexity from per-token negative log-likelihoods: comparable only between models of one tokenisation
    (see the module docstring).

    `"standard"`: token-weighted, exp(total NLL / total tokens), exact under any batching.
    `"crslab"`: exp(mean over batches of the batch-mean NLL), CRSLab's `PPLMetric` (depends on the batching).

    Example:
        >>> ppl = Perplexity()
        >>> ppl.add_nll(nll_sum=2 * math.log(4), n_tokens=2)
        >>> round(ppl.compute()["ppl"], 6)
        4.0
    """

    def __init__(self, variant: str = "standard", ignore_index: int = -100) -> None:
        self.variant = _check_variant(variant)
        self.ignore_index = ignore_index
        super().__init__()

    def add_batch(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """Adds a batch of (batch, seq, vocab) logits and (batch, seq) labels already aligned with them."""
        if logits.shape[:-1] != labels.shape:
            raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(labels.shape)} do not align")
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1),
                              ignore_index=self.ignore_index, reduction="sum")
        self.add_nll(nll.item(), int((labels != self.ignore_index).sum()))

    def add_nll(self, nll_sum: float, n_tokens: int) -> None:
        """Adds a summed NLL over `n_tokens` tokens (one batch)."""
        if n_tokens < 0 or (n_tokens == 0 and nll_sum != 0):
            raise ValueError(f"n_tokens must be positive for a non-zero NLL, got n_tokens={n_tokens}, nll_sum={nll_sum}")
        if n_tokens == 0:
            return
        self._add("nll", nll_sum)
        self._add("tokens", n_tokens)
        self._add("batch_mean_nll", nll_sum / n_tokens)
        self._add("batches", 1)

    def compute(self) -> dict[str, float]:
        if not self.sums.get("tokens"):
            raise ValueError("no tokens were added; perplexity is undefined")
        if self.variant == "standard":
            return {"ppl": math.exp(self.sums["nll"] / self.sums["tokens"])}
        return {"ppl": math.exp(self.sums["batch_mean_nll"] / self.sums["batches"])}
