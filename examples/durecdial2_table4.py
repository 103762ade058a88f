"""Collect the test results of several `train_durecdial2.py` runs into the layout of the paper's Table 4.

    python examples/durecdial2_table4.py outputs/mbart_durecdial2_*    # prints a Markdown table

Each folder must hold the `test_results.json` and `run_args.json` the training script writes. The paper's mBART
rows (Table 4, human-translated data) are printed under each task for comparison.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from crs_hf.metrics.durecdial_eval import PAPER_TABLE4_MBART, TABLE4_HEADER, TASK_NUMBERS, table4_row


def rows_for_run(folder: Path) -> list[str]:
    results = json.loads((folder / "test_results.json").read_text(encoding="utf-8"))
    args = json.loads((folder / "run_args.json").read_text(encoding="utf-8"))
    task = args["script"]["dataset_config"]
    method = f"crs_hf {args['model']['model_name_or_path'] or 'tiny ' + str(args['model']['config_name'])}"
    languages = ["en", "zh"] if task == "multi" else [task.split("-")[-1]]
    rows = []
    for lang in languages:
        prefix = f"test_{lang}_" if task == "multi" else "test_"
        result = {key[len(prefix):]: value for key, value in results.items() if key.startswith(prefix)}
        rows.append(table4_row(task, lang, method, result))
        if (task, lang) in PAPER_TABLE4_MBART:
            rows.append(table4_row(task, lang, "mBART (paper)", PAPER_TABLE4_MBART[(task, lang)]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="output folders of train_durecdial2.py")
    folders = parser.parse_args().runs
    task_of = lambda f: json.loads((f / "run_args.json").read_text())["script"]["dataset_config"]  # noqa: E731
    print(TABLE4_HEADER)
    for folder in sorted(folders, key=lambda f: TASK_NUMBERS[task_of(f)]):
        print("\n".join(rows_for_run(folder)))


if __name__ == "__main__":
    main()
