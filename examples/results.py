"""Train every model of one task on one split and write its results table (README's "Results" section).

    python examples/rec_results.py --data_dir ../shared/crs_data/redial/crslab_nltk --readme README.md
    python examples/conv_results.py --data_dir ../shared/crs_data/redial/crslab_nltk --readme README.md

Each model with a head for the task (`crs-hf models`) trains with its `<folder>_<task>_results` recipe where one
ships (else `<folder>_sample`), at the model's default (CRSLab) sizes, on the same 80/10/10 dialog split of the
release's first split (`--split_dialogs`: the real ReDial valid conversations here), for `--max_steps` optimizer
steps at one learning rate and batch size for all, then is evaluated on the test part:

- rec: CRSLab's protocol (one sample per gold item, ranked over the catalogue) and with the items already
  mentioned masked (`*_new`);
- conv: the responses generated greedily, scored by BLEU / Distinct / embedding metrics / F1 in the standard
  definitions and in CRSLab's (`crslab_*`), and the token-weighted perplexity of the references (comparable only
  between models of one tokenisation: the dataset's word-level vocabulary here, a backbone's subwords for GPT-2).
  Models whose stages share weights (KBRD, KGSF, NTRD) train their conversation head from scratch, the knowledge
  encoders included (CRSLab trains the recommender first and freezes it).

Every figure of a table comes from the run: `--readme` replaces the table between the task's `<!-- <task>-results -->`
markers, nothing is typed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from crs_hf.data.source import CRSDataSource
from crs_hf.errors import CRSHFError
from crs_hf.models import CRS_MODELS
from crs_hf.scripts.train_crs import cli, sample_recipe, word_graph_fallback


@dataclass(frozen=True)
class Task:
    metrics: tuple[str, ...]
    variants: tuple[tuple[str, str, str], ...]  # (heading, metric prefix, metric suffix)
    batch_size: int
    eval_batch_size: int
    max_steps: int
    extra: tuple[str, ...] = ()  # more train_crs arguments for every model of the task


TASKS = {
    "rec": Task(
        metrics=tuple(f"{m}@{k}" for m in ("hit", "mrr", "ndcg") for k in (1, 10, 50)),
        variants=(("CRSLab's protocol (every gold item, mentioned or not):", "", ""),
                  ("Gold items not mentioned before, mentioned items masked (`*_new`):", "", "_new")),
        batch_size=64, eval_batch_size=256, max_steps=300),
    "conv": Task(
        metrics=(*(f"bleu@{k}" for k in range(1, 5)), *(f"dist@{k}" for k in range(1, 5)),
                 "embedding_average", "embedding_extreme", "embedding_greedy", "f1", "perplexity", "empty"),
        variants=(("Standard definitions:", "", ""),
                  ("CRSLab's definitions (`crslab_*`; perplexity is the same):", "crslab_", "")),
        batch_size=32, eval_batch_size=64, max_steps=300,
        extra=("--generation_max_length", "50")),  # CRSLab's recipes' setting here (99.9% of ReDial's responses)
}


def recipe_for(model_type: str, task: str) -> str:
    folder = CRS_MODELS[model_type].config_class.__module__.split(".")[-2]
    try:
        return sample_recipe(f"{folder}_{task}_results")
    except CRSHFError:  # no dedicated recipe: the sample one, at the model's default sizes
        return sample_recipe(f"{folder}_sample")


def finished_run(output_dir: Path) -> dict:
    """The test metrics a run wrote (`test_results.json`), with the number of test samples (`predictions.jsonl`)."""
    metrics = json.loads((output_dir / "test_results.json").read_text())
    metrics = {key.removeprefix("test_"): value for key, value in metrics.items()}
    with open(output_dir / "predictions.jsonl", encoding="utf-8") as handle:  # one line per test sample
        metrics.setdefault("n_samples", sum(1 for _ in handle))
    return metrics


def run(model_type: str, task: str, args: argparse.Namespace) -> dict:
    output_dir = Path(args.output_dir) / model_type
    if args.reuse and (output_dir / "test_results.json").is_file():  # a finished run of the same command
        return finished_run(output_dir)
    settings = TASKS[task]
    sizes = word_graph_fallback(model_type, CRSDataSource(args.dataset_name, data_dir=args.data_dir))  # "": defaults
    overrides = ["--config", recipe_for(model_type, task), "--model_type", model_type, "--stage", task,
                 "--use_sample", "false", "--data_dir", args.data_dir, "--dataset_name", args.dataset_name,
                 "--split_dialogs", "true", "--config_overrides", sizes,
                 "--freeze_graph_encoders", "false", "--output_dir", str(output_dir),
                 "--max_steps", str(args.max_steps or settings.max_steps), "--learning_rate", str(args.learning_rate),
                 "--per_device_train_batch_size", str(settings.batch_size),
                 "--per_device_eval_batch_size", str(settings.eval_batch_size),
                 *settings.extra, "--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false",
                 "--seed", "42", "--disable_tqdm", "true", "--report_to", "none", *args.extra]
    if args.backbone and "backbone" in CRS_MODELS[model_type].side_data(task):
        overrides += ["--backbone_name_or_path", args.backbone]
    cli(overrides)
    return finished_run(output_dir)


def table(task: str, results: dict[str, dict], args: argparse.Namespace) -> str:
    settings = TASKS[task]
    header = "| model | " + " | ".join(m.replace("hit", "Hit").replace("mrr", "MRR").replace("ndcg", "NDCG")
                                       .replace("embedding_", "emb-").replace("bleu", "BLEU")
                                       .replace("dist", "Dist").replace("perplexity", "PPL")
                                       .replace("empty", "empty share")
                                       for m in settings.metrics) + " |"
    rule = "|---|" + "---:|" * len(settings.metrics)
    n_test = int(next(iter(results.values()))["n_samples"])
    command = {k: v for k, v in vars(args).items() if k not in ("reuse", "readme", "models")}
    lines = [
        f"{args.dataset_name}, `{os.path.basename(os.path.normpath(args.data_dir))}` first split, 80/10/10 by dialog; "
        f"{n_test:,} test samples; {args.max_steps or settings.max_steps} steps, lr {args.learning_rate}, batch "
        f"{settings.batch_size}, each model at its default sizes. Written by `python examples/{task}_results.py` "
        f"({json.dumps(command)}).",
    ]
    for heading, prefix, suffix in settings.variants:
        lines += ["", heading, "", header, rule]
        for model_type, metrics in results.items():
            keys = [m if m == "perplexity" else f"{prefix}{m}{suffix}" for m in settings.metrics]
            cells = [f"{metrics[key]:.4f}" if key in metrics else "–" for key in keys]
            lines.append(f"| {CRS_MODELS[model_type].name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(task: str) -> None:
    settings = TASKS[task]
    parser = argparse.ArgumentParser(description=f"{task}: " + __doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True, help="the dataset's CRSLab release folder")
    parser.add_argument("--dataset_name", default="redial")
    parser.add_argument("--output_dir", default=f"outputs/{task}_results")
    parser.add_argument("--max_steps", type=int, default=settings.max_steps)
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    parser.add_argument("--backbone", help=f"the pretrained backbone of the models built on one (a Hub id or a folder)")
    parser.add_argument("--models", nargs="+", help=f"model types (default: every model with a {task} head)")
    parser.add_argument("--readme", help=f"replace the table between the {task}-results markers of this file")
    parser.add_argument("--reuse", action="store_true", help="keep the models already run into --output_dir")
    parser.add_argument("extra", nargs="*", help="more train_crs arguments for every model, after --")
    args = parser.parse_args()
    with_head = [t for t, spec in sorted(CRS_MODELS.items()) if spec.head(task) is not None]
    needs_backbone = [] if args.backbone else [t for t in with_head if "backbone" in CRS_MODELS[t].side_data(task)]
    models = args.models or [t for t in with_head if t not in needs_backbone]
    results, skipped = {}, {}
    for model_type in models:
        try:
            results[model_type] = run(model_type, task, args)
        except CRSHFError as error:  # e.g. a model whose graph this release lacks
            skipped[model_type] = str(error)
    if not results:
        raise SystemExit(f"no model ran: {skipped}")
    if not args.models:
        skipped.update({t: "starts from a pretrained backbone (`--backbone`)" for t in needs_backbone})
    text = table(task, results, args)
    if task == "conv":
        text += ("\n\nPPL: token-weighted over the reference tokens; comparable only between models of one "
                 "tokenisation (a backbone's subwords are not the dataset's words). empty share: the test turns "
                 "answered with an empty response.")
        if "--word_vectors" not in args.extra:
            text += ("\n\nemb-*: not computed, no word vectors were given (`-- --word_vectors FILE`: CRSLab's "
                     "`word2vec.npy` for the dataset's vocabulary, or any `.npy` / `.vec` / KeyedVectors file).")
        templated = [t for t in results if CRS_MODELS[t].head(task).item_placeholder]
        if templated:
            text += ("\n\n" + ", ".join(CRS_MODELS[t].name for t in templated) + ": scored on their templates, every "
                     "item mention of the hypothesis and of the reference being the one placeholder token "
                     f"`{CRS_MODELS[templated[0]].head(task).item_placeholder}` (the others' references keep the "
                     "dataset's item mentions), so their BLEU / F1 are not comparable with the other rows.")
    if skipped:
        text += "\n\nNot run: " + "; ".join(f"{CRS_MODELS[t].name}: {why}" for t, why in skipped.items()) + "."
    Path(args.output_dir, "results.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.readme:
        start, end = f"<!-- {task}-results:start -->", f"<!-- {task}-results:end -->"
        readme = Path(args.readme).read_text(encoding="utf-8")
        if start not in readme or end not in readme:
            raise SystemExit(f"{args.readme} has no {start} ... {end} markers")
        readme = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{text}\n{end}", readme,
                        flags=re.S)
        Path(args.readme).write_text(readme, encoding="utf-8")
