"""CRS metrics: pure, vectorised, streaming implementations and offline `evaluate` modules.

- `ranking`: Hit@k / MRR@k / NDCG@k / Recall@k for recommendation, and policy accuracy + hit@k.
- `generation`: BLEU, Distinct, F1, embedding metrics and perplexity, `standard` and `crslab` variants.
- `embedding`: embedding average / extrema / greedy matching, and `WordVectors` (`.npy`, word2vec text, gensim).
- `durecdial_eval`: the DuRecDial 2.0 metrics (F1, BLEU-1/2, DIST-1/2, knowledge P/R/F1, LS, UTC).
- `load(name)`: the `evaluate` module `recommendation`, `conversation`, `policy` or `durecdial`, without the Hub.
"""

from __future__ import annotations

from pathlib import Path

from crs_hf.metrics.durecdial_eval import DuRecDialMetrics, durecdial_metrics
from crs_hf.metrics.embedding import WordVectors, load_word_vectors
from crs_hf.metrics.generation import ConversationMetrics, Perplexity, conversation_metrics
from crs_hf.metrics.ranking import PolicyMetrics, RankingMetrics, ranking_metrics, top_k_items

__all__ = [
    "EVALUATE_MODULES",
    "ConversationMetrics",
    "DuRecDialMetrics",
    "Perplexity",
    "PolicyMetrics",
    "RankingMetrics",
    "WordVectors",
    "conversation_metrics",
    "durecdial_metrics",
    "load",
    "load_word_vectors",
    "ranking_metrics",
    "top_k_items",
]

EVALUATE_MODULES = ("recommendation", "conversation", "policy", "durecdial")


def module_path(name: str) -> str:
    """The folder of the `evaluate` module `name`, for `evaluate.load(module_path(name))`."""
    if name not in EVALUATE_MODULES:
        raise ValueError(f"unknown metric module {name!r}; available: {', '.join(EVALUATE_MODULES)}")
    return str(Path(__file__).parent / name)


def load(name: str, **kwargs):
    """`evaluate.load` of one of crs_hf's metric modules from the installed package: no Hub access."""
    import evaluate  # 3-4 s to import: only when asked for

    return evaluate.load(module_path(name), **kwargs)
