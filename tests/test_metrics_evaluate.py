"""The `evaluate` modules load offline from the installed package and return what the pure functions return."""

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import crs_hf.metrics
from crs_hf.metrics import ConversationMetrics, conversation_metrics, durecdial_metrics, ranking_metrics


@pytest.fixture(scope="module")
def modules():
    return {name: crs_hf.metrics.load(name) for name in crs_hf.metrics.EVALUATE_MODULES}


def test_recommendation_module(modules):
    scores = torch.tensor([[0.1, 0.5, 0.3, 0.9, 0.2], [0.9, 0.1, 0.2, 0.3, 0.4], [0.2, 0.1, 0.3, 0.4, 0.5]])
    ranked = torch.topk(scores, 5).indices.tolist()
    metric = modules["recommendation"]
    metric.add_batch(predictions=ranked[:2], references=[[2], [0]])  # evaluate's own streaming
    metric.add_batch(predictions=ranked[2:], references=[[1]])
    assert metric.compute(ks=(1, 3)) == ranking_metrics(scores, [2, 0, 1], ks=(1, 3))
    masked = modules["recommendation"].compute(predictions=ranked, references=[[2, 3], [0], [1]], ks=(1, 2),
                                               exclude_context_items=True, context_items=[[3], [], []])
    assert masked == ranking_metrics(scores, [[2, 3], [0], [1]], ks=(1, 2), context_items=[[3], [], []],
                                     exclude_context_items=True)


def test_policy_module(modules):
    result = modules["policy"].compute(predictions=[[1, 0, 2], [0, 2, 1]], references=[1, 2], ks=(1, 3))
    assert (result["accuracy"], result["hit@3"], result["mrr@3"]) == (0.5, 1.0, 0.75)


def test_conversation_module_both_variants_and_ppl(modules):
    predictions, references = ["the cat sat", "a dog", ""], ["the cat sat down", "the dog", "hello"]
    for variant in ("standard", "crslab"):
        result = modules["conversation"].compute(predictions=predictions, references=references, variant=variant,
                                                 nll_sums=[3.0, 1.0], token_counts=[2, 2])
        expected = conversation_metrics(predictions, references, variant=variant)
        assert {k: v for k, v in result.items() if k != "ppl"} == pytest.approx(expected)
    assert result["ppl"] == pytest.approx(2.718281828 ** ((1.5 + 0.5) / 2))  # crslab: mean of batch means
    multi = modules["conversation"].compute(predictions=["a cat"], references=[["a dog", "a cat"]])
    assert multi["f1"] == 1.0


def test_durecdial_module(modules):
    kwargs = {"knowledge": [[["Paper Moons", "Director", "Ada Wu"]]]}
    result = modules["durecdial"].compute(predictions=["I love Paper Moons"], references=["Paper Moons by Ada Wu"],
                                          **kwargs)
    assert result == durecdial_metrics(["I love Paper Moons"], ["Paper Moons by Ada Wu"], **kwargs)


def test_unknown_module():
    with pytest.raises(ValueError, match="unknown metric module 'bleu'; available: recommendation, conversation"):
        crs_hf.metrics.load("bleu")


def _sync_worker(rank: int, world_size: int, port: int, predictions, references, queue) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    try:
        metric = ConversationMetrics()
        metric.add_batch(predictions[rank::world_size], references[rank::world_size])
        queue.put((rank, metric.sync().compute()))
    finally:
        dist.destroy_process_group()


def test_sync_across_two_processes_equals_one_process():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    predictions = ["a b c", "b c d", "a a a", "c d", "d e f g"]
    references = ["a b", "b c d e", "a", "c", "d e f"]
    context = mp.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_sync_worker, args=(r, 2, port, predictions, references, queue)) for r in (0, 1)]
    for p in processes:
        p.start()
    results = dict(queue.get(timeout=120) for _ in processes)
    for p in processes:
        p.join(timeout=60)
    expected = conversation_metrics(predictions, references)
    assert results[0] == pytest.approx(expected) and results[1] == pytest.approx(expected)
