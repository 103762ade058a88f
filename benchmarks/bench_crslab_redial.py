"""Benchmark: CRSLab-form ReDial validation split + its DBpedia sub-KG -> `turns` records and graph tensors.

    python benchmarks/bench_crslab_redial.py          # real files in ../shared/crs_data/redial/crslab_nltk
    python benchmarks/bench_crslab_redial.py --data-dir DIR --repeat 5

Phases, in this order on one fresh cache per run: building `turns` (cold), building `entity_kg` + `entity2id` and
turning them into `edge_index` / `edge_type` with CRSLab's processing (cold), then both again from the Arrow cache
(warm). Each phase runs in a fresh Python process (with datasets, crs_hf and torch imported before the clock starts)
so that its peak resident memory (ru_maxrss) is its own; the table also gives a process that only imports them, to
read the phases against. Timings are medians over `--repeat` runs. Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import RESULTS, append_table, run_in_fresh_process  # noqa: E402  (benchmarks/common.py)

HERE = Path(__file__).resolve().parent

TURNS = "rows = len(crs_hf.load_dataset('redial', 'turns', data_dir=RAW, cache_dir=CACHE)['validation'])"
GRAPH = ("graph = load_graph('redial', 'entity_kg', data_dir=RAW, cache_dir=CACHE)\n"
         "rows = graph.edge_index.shape[1]")
# phase -> (what it outputs, timed code); torch and crs_hf are imported before the clock starts
PHASES = {
    "baseline: interpreter with datasets, crs_hf and torch imported": ("", "rows = 0"),
    "cold: `turns` (validation split)": ("records", TURNS),
    "cold: `entity_kg` + `entity2id` -> graph tensors": ("edges", GRAPH),
    "warm: `turns` (validation split)": ("records", TURNS),
    "warm: `entity_kg` + `entity2id` -> graph tensors": ("edges", GRAPH),
}

PRELUDE = "import crs_hf, torch\nfrom crs_hf.data import load_graph"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = HERE.parent.parent / "shared" / "crs_data" / "redial" / "crslab_nltk"
    parser.add_argument("--data-dir", default=str(default))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    raw = str(Path(args.data_dir).resolve())
    if not Path(raw, "valid_data.json").is_file() or not Path(raw, "dbpedia_subkg.json").is_file():
        raise SystemExit(f"no CRSLab ReDial valid_data.json + dbpedia_subkg.json in {raw}")

    measured: dict[str, list[dict]] = {name: [] for name in PHASES}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            for name, (_, body) in PHASES.items():  # in order: cold phases first, then warm ones on the same cache
                measured[name].append(run_in_fresh_process(body, {"RAW": raw, "CACHE": f"{tmp}/cache"}, PRELUDE))

    table = []
    for name, runs in measured.items():
        unit = PHASES[name][0]
        table.append((name, f"{runs[0]['rows']:,} {unit}" if unit else "",
                      f"{statistics.median(m['seconds'] for m in runs):.2f}",
                      f"{max(m['peak_rss_mib'] for m in runs):.0f}"))
    text = append_table(
        "CRSLab ReDial -> turns + graph tensors",
        f"Data: `{raw}` (valid_data.json, entity2id.json, dbpedia_subkg.json); median of {args.repeat} runs; "
        "peak RSS of the phase's own process.",
        ["phase", "output", "seconds (median)", "peak RSS MiB (max)"], table, args.results,
    )
    print(text)

if __name__ == "__main__":
    main()
