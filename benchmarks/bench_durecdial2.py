"""Benchmark: DuRecDial 2.0 cold build + export of the five task configs, and warm reload from the Arrow cache.

    python benchmarks/bench_durecdial2.py                        # real dev files in ../shared/crs_data/durecdial2
    python benchmarks/bench_durecdial2.py --data-dir DIR --repeat 5

Each phase runs in a fresh Python process so that its peak resident memory (ru_maxrss) is its own; the table also
gives the peak of a process that only imports crs_hf, to read the phases against. Timings are medians over
`--repeat` runs, compared as ratios within one run (machines here are noisy). Results are appended to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import RESULTS, append_table, run_in_fresh_process  # noqa: E402  (benchmarks/common.py)

HERE = Path(__file__).resolve().parent
TASK_CONFIGS = ["en", "zh", "multi", "zh-en", "en-zh"]

PHASES = {
    "baseline: interpreter with datasets and crs_hf imported": "import crs_hf",
    "cold build + export (5 task configs)": (
        "from crs_hf.data import export_dataset\n"
        "export_dataset('durecdial2', OUT, data_dir=RAW, configs=CONFIGS, cache_dir=CACHE)"
    ),
    "warm reload (5 task configs)": (
        "import crs_hf\n"
        "for c in CONFIGS: crs_hf.load_dataset('durecdial2', c, data_dir=RAW, cache_dir=CACHE)"
    ),
    "warm export (5 task configs)": (
        "from crs_hf.data import export_dataset\n"
        "export_dataset('durecdial2', OUT, data_dir=RAW, configs=CONFIGS, cache_dir=CACHE, overwrite=True)"
    ),
}

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "crs_data" / "durecdial2"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args()
    raw = str(Path(args.data_dir).resolve())
    if not Path(raw, "en_dev.txt").is_file() and not Path(raw, "en_train.txt").is_file():
        raise SystemExit(f"no DuRecDial 2.0 raw files in {raw}")

    measured: dict[str, list[dict]] = {name: [] for name in PHASES}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cache, out = f"{tmp}/cache", f"{tmp}/out"
            for name, body in PHASES.items():  # in order: cold first, then warm on the same cache
                variables = {"RAW": raw, "CACHE": cache, "OUT": out, "CONFIGS": TASK_CONFIGS}
                measured[name].append(run_in_fresh_process(body, variables))
            rows = _count_rows(raw, cache)

    cold = statistics.median(m["seconds"] for m in measured["cold build + export (5 task configs)"])
    table = []
    for name, runs in measured.items():
        seconds = statistics.median(m["seconds"] for m in runs)
        table.append((name, f"{seconds:.2f}", f"{seconds / cold:.2f}", f"{max(m['peak_rss_mib'] for m in runs):.0f}"))
    files = ", ".join(sorted(p.name for p in Path(raw).glob("*_*.txt")))
    text = append_table(
        "DuRecDial 2.0 build/export",
        f"Data: `{raw}` ({files}); {rows:,} task records over the five configs; median of {args.repeat} runs.",
        ["phase", "seconds (median)", "× cold", "peak RSS MiB (max)"], table, args.results,
    )
    print(text)

def _count_rows(raw: str, cache: str) -> int:
    import datasets

    import crs_hf

    datasets.disable_progress_bars()
    return sum(
        len(split) for c in TASK_CONFIGS for split in crs_hf.load_dataset("durecdial2", c, data_dir=raw, cache_dir=cache).values()
    )


if __name__ == "__main__":
    main()
