"""`crs-hf`: the command-line entry point.

    crs-hf data list
    crs-hf data export durecdial2 --out ./durecdial2_hub --sample [--config en-zh ...]
    crs-hf data push durecdial2 --repo crs_hf/durecdial2 --data-dir ./DuRecDial2/data
    crs-hf demo --out ./crs_hf_demo

Errors crs_hf raises on purpose (bad input data, unknown names) are printed as one line, without a traceback, and
the command exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from crs_hf.data.registry import DATASETS, config_names
from crs_hf.errors import CRSHFError

__all__ = ["main", "make_parser"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], int) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *map(line, cells[1:])])


def _raw_dir(args: argparse.Namespace) -> str | None:
    if args.sample:
        from crs_hf.data import sample_data_dir

        return sample_data_dir(args.name)
    return args.data_dir


def _export_rows(result) -> list[tuple[str, str, str, int]]:
    return [(result.name, config, split, n) for config, splits in result.rows.items() for split, n in splits.items()]


def cmd_data_list(args: argparse.Namespace) -> None:
    from crs_hf.data import DATASETS, get_builder_class

    rows = []
    for name, entry in DATASETS.items():
        builder_class = get_builder_class(name)
        for config in builder_class.BUILDER_CONFIGS:
            default = " (default)" if config.name == builder_class.DEFAULT_CONFIG_NAME else ""
            rows.append((name, config.name + default, "yes" if entry.has_sample else "no", config.description or ""))
    print(format_table(["dataset", "config", "sample", "description"], rows))


def cmd_data_export(args: argparse.Namespace) -> None:
    from crs_hf.data import export_dataset

    result = export_dataset(
        args.name, args.out, data_dir=_raw_dir(args), configs=args.config, cache_dir=args.cache_dir,
        overwrite=args.overwrite,
    )
    print(format_table(["dataset", "config", "split", "rows"], _export_rows(result)))
    for config, reason in result.skipped.items():
        print(f"skipped {config}: {reason}")
    print(f"\nWrote {result.out_dir} (load it with datasets.load_dataset({str(result.out_dir)!r}, CONFIG))")


def cmd_data_push(args: argparse.Namespace) -> None:
    from crs_hf.data import push_dataset

    url = push_dataset(
        args.name, args.repo, data_dir=_raw_dir(args), configs=args.config, cache_dir=args.cache_dir,
        private=args.private, token=args.token,
    )
    print(f"Pushed {args.name} to {args.repo}: {url}")


def cmd_demo(args: argparse.Namespace) -> None:
    """The main job on the embedded samples: build and export every dataset that ships one and print the table; then
    train KBRD's recommender on the ReDial sample, evaluate it on the test split and print the metrics."""
    from crs_hf.data import DATASETS, export_dataset, sample_data_dir

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="crs_hf-demo-"))
    rows = []
    for name, entry in DATASETS.items():
        if entry.has_sample:
            result = export_dataset(name, out / name, data_dir=sample_data_dir(name), cache_dir=args.cache_dir,
                                    overwrite=True)
            rows += _export_rows(result)
    print(format_table(["dataset", "config", "split", "rows"], rows))
    print(f"\nExported to {out}; e.g. datasets.load_dataset({str(out / 'durecdial2')!r}, 'en-zh')")
    if args.skip_training:
        return

    from crs_hf.scripts.train_crs import cli, sample_recipe

    model_dir = out / "kbrd_sample"
    print("\nTraining KBRD's recommender on the ReDial sample (recipe kbrd_sample) ...", flush=True)
    metrics = cli(["--config", sample_recipe("kbrd_sample"), "--output_dir", str(model_dir), "--disable_tqdm", "true",
                   "--logging_strategy", "no", "--report_to", "none"])["rec"]
    rows = [(key.removeprefix("test_"), f"{metrics[key]:.4f}") for key in sorted(metrics)
            if key.startswith(("test_hit", "test_mrr", "test_ndcg"))]
    print(format_table(["metric (test split)", "value"], rows))
    print("\nThe sample is a format fixture (29 training examples; most test items never occur in training), so these "
          "figures show the pipeline runs end to end, not what KBRD achieves: examples/recipes/kbrd_redial.yaml trains "
          "it on the real ReDial release.")
    print(f"Model, predictions.jsonl and test_results.json in {model_dir}; "
          f"KBRDForRecommendation.from_pretrained({str(model_dir)!r})")


def dataset_gaps(head, name: str) -> list[str]:
    """What dataset `name` lacks for `head` (a `CRSHead`): configs its side data and inputs need, judged from the
    builder's configs and `turns` features (a given release may still lack a file: the training script checks)."""
    from crs_hf.data import load_builder

    configs = set(config_names(name))
    needed = {"entity_kg": "entity_kg", "word_kg": "word_kg", "items": "items", "vocabulary": "token2id"}
    gaps = [config for kind, config in needed.items() if kind in head.side_data and config not in configs]
    if {"context_tokens", "context_utterances", "response_tokens"} & set(head.inputs) and "token2id" not in configs:
        gaps.append("token2id")
    if "turns" not in configs:
        return [*gaps, "turns"]
    if "history_items" in head.inputs and "interaction_history" not in load_builder(name, "turns").info.features:
        gaps.append("interaction_history")
    return sorted(set(gaps))


def cmd_models(args: argparse.Namespace) -> None:
    """Every model of crs_hf with its heads, the inputs and side data of each, and the datasets it runs on."""
    from crs_hf.models import CRS_MODELS

    rows = []
    for model_type, spec in sorted(CRS_MODELS.items()):
        for head in spec.heads:
            inputs = [*head.inputs, *(f"[{kind}]" for kind in head.optional_inputs)]
            runs_on = [name for name in DATASETS if not dataset_gaps(head, name)]
            rows.append((model_type, head.task, head.model_class.__name__, " ".join(inputs),
                         " ".join(head.side_data) or "-", " ".join(runs_on) or "-"))
    print(format_table(("model", "task", "head", "inputs ([optional])", "side data", "datasets"), rows))
    print("\nTrain one: crs-hf train --config <recipe> (e.g. kbrd_sample); `crs-hf train --help` lists the arguments.")


def cmd_train(args: argparse.Namespace) -> None:
    from crs_hf.scripts.train_crs import cli

    cli(args.arguments)


def _add_source_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="dataset name (see `crs-hf data list`)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data-dir", help="folder with the raw files as released (default: download them)")
    source.add_argument("--sample", action="store_true", help="use the small synthetic sample shipped with crs_hf")
    parser.add_argument("--config", nargs="+", metavar="C", help="configs to build (default: all)")
    parser.add_argument("--cache-dir", help="Arrow cache folder (default: the datasets cache)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crs-hf", description="Conversational recommender systems on the HF stack.")
    parser.add_argument("--progress", action="store_true", help="show the datasets progress bars")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="list, export and push datasets").add_subparsers(dest="data_command", required=True)
    data.add_parser("list", help="datasets and their configs").set_defaults(func=cmd_data_list)
    export = data.add_parser("export", help="write a dataset as Parquet + dataset card (the Hub layout)")
    _add_source_args(export)
    export.add_argument("--out", required=True, help="output folder")
    export.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    export.set_defaults(func=cmd_data_export)
    push = data.add_parser("push", help="export a dataset and upload it to a Hub dataset repo")
    _add_source_args(push)
    push.add_argument("--repo", required=True, help="dataset repo id, e.g. crs_hf/durecdial2")
    push.add_argument("--private", action="store_true", default=None, help="create the repo as private")
    push.add_argument("--token", help="Hub token (default: the logged-in token / HF_TOKEN)")
    push.set_defaults(func=cmd_data_push)

    commands.add_parser("models", help="models, their tasks, inputs, side data and datasets").set_defaults(
        func=cmd_models)
    train = commands.add_parser(
        "train", add_help=False, help="train and evaluate a model from a recipe (python -m crs_hf.scripts.train_crs)")
    train.add_argument("arguments", nargs=argparse.REMAINDER, help="--config RECIPE and the script's arguments")
    train.set_defaults(func=cmd_train)

    demo = commands.add_parser("demo", help="the main job on the embedded sample data")
    demo.add_argument("--out", help="output folder (default: a new temporary folder)")
    demo.add_argument("--cache-dir", help="Arrow cache folder (default: the datasets cache)")
    demo.add_argument("--skip-training", action="store_true", help="only build and export the datasets")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # every later argument is the training script's (argparse would claim --config)
        args = argparse.Namespace(func=cmd_train, arguments=argv[1:], progress=True)
    else:
        args = make_parser().parse_args(argv)
    if not args.progress:
        import datasets

        datasets.disable_progress_bars()
    try:
        args.func(args)
    except CRSHFError as error:
        print(f"crs-hf: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
