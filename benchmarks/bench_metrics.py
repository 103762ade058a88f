"""Benchmark: metric throughput at the sizes of the issue, against naive per-sample baselines in the same run.

    python benchmarks/bench_metrics.py [--repeat 3]

- recommendation: Hit/MRR/NDCG@{1,10,50} on a 10,000 x 6,924 score matrix (ReDial's catalogue size), vs a
  CRSLab-style loop (`label in ranks[:k]`, `ranks.index(label)` per sample and k);
- conversation: 10,000 (response, reference) pairs, standard and crslab variants, vs nltk's `sentence_bleu` for the
  four crslab BLEU scores;
- DuRecDial 2.0: 10,000 pairs with knowledge (real dev responses of ../shared/crs_data when present, else synthetic).

Results (median seconds and items per second) are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import warnings
from pathlib import Path

import torch

from crs_hf.metrics import ConversationMetrics, DuRecDialMetrics, RankingMetrics

from common import RESULTS, append_table  # noqa: E402  (benchmarks/common.py)

HERE = Path(__file__).resolve().parent
N = 10_000


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def crslab_style_ranking(scores: torch.Tensor, labels: list[int]) -> dict[str, float]:
    """The per-sample loop of CRSLab's evaluator (the baseline, not used by crs_hf)."""
    ranks = torch.topk(scores, 50, dim=-1).indices.tolist()
    sums = {f"{m}@{k}": 0.0 for m in ("hit", "mrr", "ndcg") for k in (1, 10, 50)}
    for rank, label in zip(ranks, labels):
        for k in (1, 10, 50):
            if label in rank[:k]:
                position = rank.index(label)
                sums[f"hit@{k}"] += 1
                sums[f"mrr@{k}"] += 1 / (position + 1)
                sums[f"ndcg@{k}"] += 1 / torch.log2(torch.tensor(position + 2.0)).item()
    return {k: v / len(labels) for k, v in sums.items()}


def text_pairs(rng: random.Random) -> tuple[list[str], list[str]]:
    vocab = [f"w{i}" for i in range(2000)]
    make = lambda: " ".join(rng.choices(vocab, k=rng.randint(5, 25)))  # noqa: E731
    return [make() for _ in range(N)], [make() for _ in range(N)]


def durecdial_pairs(rng: random.Random):
    raw = HERE.parent.parent / "shared" / "crs_data" / "durecdial2"
    if (raw / "en_dev.txt").is_file():
        import datasets

        import crs_hf

        datasets.disable_progress_bars()
        rows = crs_hf.load_dataset("durecdial2", "en", data_dir=raw)["validation"]
        references, knowledge = rows["response"], rows["knowledge"]
        source = f"real DuRecDial 2.0 EN dev responses ({len(references):,}, cycled)"
    else:
        references, knowledge = text_pairs(rng)[1][:500], [[["w1 w2", "r", "w3"]]] * 500
        source = "synthetic"
    references = [references[i % len(references)] for i in range(N)]
    knowledge = [knowledge[i % len(knowledge)] for i in range(N)]
    predictions = references[:]
    rng.shuffle(predictions)
    return predictions, references, knowledge, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    rows = []

    scores = torch.randn(N, 6924)
    labels = torch.randint(0, 6924, (N,)).tolist()

    def ours_rec():
        metric = RankingMetrics(ks=(1, 10, 50))
        for start in range(0, N, 1000):  # batches, as in an evaluation loop
            metric.add_batch(scores[start : start + 1000], labels[start : start + 1000])
        return metric.compute()

    ours, baseline = ours_rec(), crslab_style_ranking(scores, labels)
    assert all(abs(ours[k] - baseline[k]) < 1e-9 for k in baseline), "vectorised and loop results differ"
    t_ours, t_base = timed(ours_rec, args.repeat), timed(lambda: crslab_style_ranking(scores, labels), args.repeat)
    rows.append(("recommendation, 10,000 x 6,924 (crs_hf, batches of 1,000)", t_ours, N, t_base / t_ours))
    rows.append(("recommendation, CRSLab-style per-sample loop (baseline)", t_base, N, 1.0))

    hyps, refs = text_pairs(rng)
    for variant in ("standard", "crslab"):
        def run(variant=variant):
            metric = ConversationMetrics(variant)
            metric.add_batch(hyps, refs)
            return metric.compute()
        rows.append((f"conversation {variant}, 10,000 pairs (BLEU, Dist, F1)", timed(run, args.repeat), N, None))

    from nltk.translate.bleu_score import sentence_bleu

    def nltk_bleu():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for h, r in zip(hyps, refs):
                for n in range(4):
                    sentence_bleu([r.split(" ")], h.split(" "), weights=[1.0 if i == n else 0.0 for i in range(4)])

    rows.append(("nltk sentence_bleu x4 on the same pairs (crslab BLEU baseline)", timed(nltk_bleu, 1), N, None))

    predictions, references, knowledge, source = durecdial_pairs(rng)

    def durecdial():
        metric = DuRecDialMetrics()
        metric.add_batch(predictions, references, knowledge=knowledge)
        return metric.compute()

    rows.append((f"DuRecDial 2.0 metrics, 10,000 pairs with knowledge ({source})", timed(durecdial, args.repeat), N, None))

    text = append_table(
        "Metrics throughput", f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; median of {args.repeat} runs.",
        ["workload", "seconds (median)", "items/s", "speed-up vs baseline"],
        [(name, f"{seconds:.3f}", f"{items / seconds:,.0f}", "" if speedup is None else f"{speedup:.1f}x")
         for name, seconds, items, speedup in rows],
        args.results,
    )
    print(text)

if __name__ == "__main__":
    main()
