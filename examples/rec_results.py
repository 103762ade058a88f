"""Train every recommendation model on one split and write the results table (README's "Results" section).

    python examples/rec_results.py --data_dir ../shared/crs_data/redial/crslab_nltk --output_dir outputs/rec_results \\
        --readme README.md

Each model with a `rec` head (`crs-hf models`) trains with its `<folder>_rec_results` recipe where one ships (else
`<folder>_sample`), at the model's default (CRSLab) sizes, on the same 80/10/10 dialog split of the release's first
split (`--split_dialogs`: the real ReDial valid conversations here), for `--max_steps` optimizer steps at one learning
rate and batch size for all, then is evaluated on the test part in CRSLab's protocol (one sample per gold item,
ranked over the catalogue) and with the items already mentioned masked (`*_new`). Every figure of the table comes
from the run: `--readme` replaces the table between the `<!-- rec-results -->` markers, nothing is typed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from crs_hf.errors import CRSHFError
from crs_hf.models import CRS_MODELS
from crs_hf.scripts.train_crs import cli, sample_recipe

METRICS = [f"{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in (1, 10, 50)]
START, END = "<!-- rec-results:start -->", "<!-- rec-results:end -->"


def recipe_for(model_type: str) -> str:
    folder = CRS_MODELS[model_type].config_class.__module__.split(".")[-2]
    try:
        return sample_recipe(f"{folder}_rec_results")
    except CRSHFError:  # no dedicated recipe: the sample one, at the model's default sizes
        return sample_recipe(f"{folder}_sample")


def run(model_type: str, args: argparse.Namespace) -> dict:
    output_dir = Path(args.output_dir) / model_type
    if args.reuse and (output_dir / "test_results.json").is_file():  # a finished run of the same command
        metrics = json.loads((output_dir / "test_results.json").read_text())
        return {key.removeprefix("test_"): value for key, value in metrics.items()}
    overrides = ["--config", recipe_for(model_type), "--model_type", model_type, "--stage", "rec",
                 "--use_sample", "false", "--data_dir", args.data_dir, "--dataset_name", args.dataset_name,
                 "--split_dialogs", "true", "--config_overrides", "", "--output_dir", str(output_dir),
                 "--max_steps", str(args.max_steps), "--learning_rate", str(args.learning_rate),
                 "--per_device_train_batch_size", "64", "--per_device_eval_batch_size", "256",
                 "--eval_strategy", "no", "--save_strategy", "no", "--seed", "42", "--disable_tqdm", "true",
                 "--report_to", "none"]
    if args.backbone and "backbone" in CRS_MODELS[model_type].side_data("rec"):
        overrides += ["--backbone_name_or_path", args.backbone]
    metrics = cli(overrides)["rec"]
    return {key.removeprefix("test_"): value for key, value in metrics.items()}


def table(results: dict[str, dict], n_test: int, args: argparse.Namespace) -> str:
    def rows(suffix: str) -> list[str]:
        out = []
        for model_type, metrics in results.items():
            cells = [f"{metrics[f'{m}{suffix}']:.4f}" if f"{m}{suffix}" in metrics else "–" for m in METRICS]
            out.append(f"| {CRS_MODELS[model_type].name} | " + " | ".join(cells) + " |")
        return out

    header = "| model | " + " | ".join(m.replace("hit", "Hit").replace("mrr", "MRR").replace("ndcg", "NDCG")
                                       for m in METRICS) + " |"
    rule = "|---|" + "---:|" * len(METRICS)
    return "\n".join([
        f"{args.dataset_name}, `{os.path.basename(os.path.normpath(args.data_dir))}` first split, 80/10/10 by dialog; "
        f"{n_test:,} test samples; {args.max_steps} steps, lr {args.learning_rate}, batch 64, each model at its "
        f"default sizes. Written by `python examples/rec_results.py` "
        f"({json.dumps({k: v for k, v in vars(args).items() if k not in ('reuse', 'readme', 'models')})}).",
        "", "CRSLab's protocol (every gold item, mentioned or not):", "", header, rule, *rows(""),
        "", "Gold items not mentioned before, mentioned items masked (`*_new`):", "", header, rule, *rows("_new"),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True, help="the dataset's CRSLab release folder")
    parser.add_argument("--dataset_name", default="redial")
    parser.add_argument("--output_dir", default="outputs/rec_results")
    parser.add_argument("--max_steps", type=int, default=300)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--backbone", help="the pretrained encoder of crs_bert (a Hub id or a folder)")
    parser.add_argument("--models", nargs="+", help="model types (default: every model with a rec head)")
    parser.add_argument("--readme", help="replace the table between the rec-results markers of this file")
    parser.add_argument("--reuse", action="store_true", help="keep the models already run into --output_dir")
    args = parser.parse_args()
    models = args.models or [t for t, spec in sorted(CRS_MODELS.items()) if spec.head("rec") is not None
                             and ("backbone" not in spec.side_data("rec") or args.backbone)]
    results, skipped = {}, {}
    for model_type in models:
        try:
            results[model_type] = run(model_type, args)
        except CRSHFError as error:  # e.g. a model whose graph this release lacks
            skipped[model_type] = str(error)
    text = table(results, int(next(iter(results.values()))["n_samples"]), args)
    if skipped:
        text += "\n\nNot run: " + "; ".join(f"{CRS_MODELS[t].name}: {why}" for t, why in skipped.items()) + "."
    Path(args.output_dir, "results.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.readme:
        readme = Path(args.readme).read_text(encoding="utf-8")
        if START not in readme or END not in readme:
            raise SystemExit(f"{args.readme} has no {START} ... {END} markers")
        readme = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}", readme,
                        flags=re.S)
        Path(args.readme).write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    main()
