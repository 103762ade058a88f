"""Shared by the benchmark scripts: the machine line and appending a Markdown table to RESULTS.md."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def environment() -> str:
    """Date, machine, cores, Python and torch versions and threads: what a reader needs to compare runs."""
    import torch

    return (f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} thread(s)")


def append_table(title: str, notes: str, header: Sequence[str], rows: Sequence[Sequence[object]],
                 path: str | os.PathLike = RESULTS) -> str:
    """Appends `## title — environment`, `notes` and a table to `path` (created with a heading if absent);
    returns the text (scripts print it too). Cells are written as given: format numbers before."""
    lines = [f"\n## {title} — {environment()}\n", f"{notes}\n" if notes else "",
             "| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(line for line in lines if line != "") + "\n"
    path = Path(path)
    if not path.exists():
        path.write_text("# Benchmark results\n\nAppended by the scripts in this folder; newest last.\n", encoding="utf-8")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
    return text


_RUNNER = """
import json, resource, time
{assignments}
import datasets; datasets.disable_progress_bars(); datasets.logging.set_verbosity_error()
import logging; logging.disable(logging.WARNING)
{prelude}
rows = 0
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "rows": rows,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_in_fresh_process(body: str, variables: dict[str, object], prelude: str = "") -> dict:
    """Times `body` in a new Python process, so that its peak resident memory (ru_maxrss) is its own.

    `variables` become globals (their repr must be a literal); `prelude` runs before the clock starts (imports);
    `body` may set `rows` to report an output size. Returns {"seconds", "rows", "peak_rss_mib"}.
    """
    import json
    import subprocess
    import sys

    assignments = "\n".join(f"{name} = {value!r}" for name, value in variables.items())
    code = _RUNNER.format(assignments=assignments, prelude=prelude, body=body)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark phase failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
