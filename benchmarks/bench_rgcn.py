"""Benchmark: featureless R-GCN layer, torch_geometric's `RGCNConv` vs crs_hf's `CRSRelationalGraphConv`.

    python benchmarks/bench_rgcn.py [--runs 3] [--device cpu]

KBRD and KGSF run one R-GCN layer over every entity of the knowledge graph in every training step. Two synthetic
graphs of ReDial's size, dim 128, 8 bases: the raw KG (64,362 nodes, 165,696 edges = ReDial's DBpedia
triples, 20 relations) and the graph CRSLab actually trains on after its processing (both directions, self-loops,
relations with more than 1000 edges: 64,363 nodes, 316,884 edges, 35 relations). Both layers get the same weights;
their outputs and gradients are asserted equal after timing. Reports the first forward pass (crs_hf's layer builds its
sparse structure then, once per graph) and the median forward and forward+backward time over `--runs` runs after it.
Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch_geometric.nn import RGCNConv

from crs_hf.models.layers import CRSRelationalGraphConv

from common import RESULTS, append_table  # noqa: E402  (benchmarks/common.py)

GRAPHS = {
    "ReDial triples: 64,362 nodes, 165,696 edges, 20 relations": (64_362, 165_696, 20),
    "CRSLab ReDial: 64,363 nodes, 316,884 edges, 35 relations": (64_363, 316_884, 35),
}
DIM, BASES = 128, 8


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_layer(step, device: torch.device, runs: int) -> tuple[float, float, float]:
    """Seconds of the first forward pass, then median seconds of a forward pass and of forward + backward."""
    forward, total = [], []
    for run in range(runs + 1):  # the first run warms up (and builds crs_hf's cached sparse structure)
        synchronize(device)
        start = time.perf_counter()
        out = step()
        synchronize(device)
        middle = time.perf_counter()
        (out * out).sum().backward()
        synchronize(device)
        end = time.perf_counter()
        if run:
            forward.append(middle - start)
            total.append(end - start)
        else:
            first = middle - start
    return first, statistics.median(forward), statistics.median(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    device = torch.device(args.device)
    rows = []
    for name, (num_nodes, num_edges, num_relations) in GRAPHS.items():
        generator = torch.Generator().manual_seed(0)
        edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator).to(device)
        edge_type = torch.randint(0, num_relations, (num_edges,), generator=generator).to(device)
        torch.manual_seed(0)
        reference = RGCNConv(num_nodes, DIM, num_relations, num_bases=BASES).to(device)
        ours = CRSRelationalGraphConv(num_nodes, DIM, num_relations, BASES).to(device)
        ours.load_state_dict(reference.state_dict())

        timings = {
            "torch_geometric RGCNConv": time_layer(lambda: reference(None, edge_index, edge_type), device, args.runs),
            "crs_hf CRSRelationalGraphConv": time_layer(lambda: ours(edge_index, edge_type), device, args.runs),
        }
        reference.zero_grad(), ours.zero_grad()
        expected, got = reference(None, edge_index, edge_type), ours(edge_index, edge_type)
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
        (expected * expected).sum().backward()
        (got * got).sum().backward()
        for (key, a), b in zip(reference.named_parameters(), ours.parameters()):
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-3, atol=1e-5, msg=key)

        baseline = timings["torch_geometric RGCNConv"][2]
        for layer, (first, forward, total) in timings.items():
            rows.append((name, layer, f"{first:.3f}", f"{forward:.3f}", f"{total:.3f}", f"{baseline / total:.1f}x"))
        print(rows[-2], rows[-1], flush=True)

    notes = (f"Featureless R-GCN layer (dim {DIM}, {BASES} bases, mean aggregation, root weight, bias) on random "
             f"graphs; same weights, outputs and gradients asserted equal. Median of {args.runs} runs after a "
             f"warm-up, device `{device}`. `RGCNConv` materialises all relation weights (relations x nodes x dim "
             f"floats: 1.2 GB at 35 relations) and loops over relations; crs_hf's layer does one sparse product over "
             f"the bases and a sampled product for the gradient of the basis coefficients, with the sparse "
             f"structure built once per graph (the first forward) and cached. "
             f"`python benchmarks/bench_rgcn.py --runs {args.runs} --device {args.device}`")
    text = append_table("R-GCN layer: torch_geometric vs crs_hf", notes,
                        ["graph", "layer", "first forward s", "forward s", "forward+backward s", "speed-up"], rows,
                        args.results)
    print(text)


if __name__ == "__main__":
    main()
