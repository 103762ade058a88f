"""The causal-LM conversation models (GPT-2, INSPIRED's role-aware pair) through the training script, on the sample of
every dataset with conversation turns, with tiny GPT-2 backbones trained from scratch here (an English byte-level
BPE one without a pad token, and a BERT-vocabulary Chinese one without an eos token for TG-ReDial and DuRecDial):
each trains (two steps), is evaluated on the test split (BLEU, Distinct, F1, perplexity in test_results.json), is
saved, and the checkpoint reloaded in a fresh object with `AutoModelForSeq2SeqLM` generates exactly the responses
the script reported and scores the references with the reported perplexity."""

import inspect
import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO_ROOT
from models_common import check_conv_run
from test_models_gpt2 import (
    CHINESE_SAMPLES,
    END,
    ENGLISH_SAMPLES,
    sample_texts,
    tiny_chinese_gpt2_backbone,
    tiny_gpt2_backbone,
)
from transformers import AutoModel, AutoModelForSeq2SeqLM, AutoTokenizer

from crs_hf.data import DATASETS
from crs_hf.data.source import CRSDataSource
from crs_hf.models import get_model_spec
from crs_hf.scripts import train_crs

RECIPES = REPO_ROOT / "examples" / "recipes"
CONV_DATASETS = [name for name, facts in DATASETS.items()
                 if facts.has_sample and CRSDataSource.sample(name).has_config("turns")]
GENERATION_LENGTH = 5
COMMON = ["--max_steps", "2", "--per_device_eval_batch_size", "256", "--generation_max_length",
          str(GENERATION_LENGTH), "--disable_tqdm", "true", "--report_to", "none"]


def test_the_conversation_datasets_are_the_six_crslab_ones():
    assert sorted(CONV_DATASETS) == sorted(["redial", "tgredial", "gorecdial", "opendialkg", "inspired", "durecdial"])
    assert sorted(CONV_DATASETS) == sorted([*ENGLISH_SAMPLES, *CHINESE_SAMPLES])  # each with a backbone here


@pytest.fixture(scope="module")
def backbones(tmp_path_factory) -> dict[str, Path]:
    """One tiny GPT-2 per language, built once for the module."""
    root = tmp_path_factory.mktemp("backbones")
    return {"en": tiny_gpt2_backbone(root / "en", sample_texts(ENGLISH_SAMPLES)),
            "zh": tiny_chinese_gpt2_backbone(root / "zh", sample_texts(CHINESE_SAMPLES))}


@pytest.fixture(scope="module")
def inspired_conv_recipe(tmp_path_factory) -> Path:
    """inspired_sample.yaml with only its conv stage (the recommender has its own test)."""
    recipe = yaml.safe_load((RECIPES / "inspired_sample.yaml").read_text())
    recipe["stages"] = [stage for stage in recipe["stages"] if stage["stage"] == "conv"]
    path = tmp_path_factory.mktemp("recipes") / "inspired_conv.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def script_args(recipe: Path, dataset: str, backbones: dict, output_dir: Path) -> list[str]:
    language = "zh" if dataset in CHINESE_SAMPLES else "en"
    # a BERT vocabulary has no eos token to end utterances with: the data layer's "eos" separator needs one
    separator = ["--utterance_separator", "none"] if language == "zh" else []
    return ["--config", str(recipe), "--dataset_name", dataset, "--backbone_name_or_path", str(backbones[language]),
            "--output_dir", str(output_dir), *COMMON, *separator]


def split_batch(args: list[str]):
    """The test split as the script built it, collated into one batch (256 >= every sample's test split)."""
    script, model, training = train_crs.make_parser().parse_stages(args)[0]
    data = train_crs.prepare_stage(script, model, training, get_model_spec(model.model_type).head("conv"))
    return data.collator(list(data.examples["test"])), data.examples["test"], data.tokenizer


def train_and_check(recipe: Path, dataset: str, backbones: dict, output_dir: Path) -> dict:
    args = script_args(recipe, dataset, backbones, output_dir)
    metrics = train_crs.cli(args)["conv"]
    model_type = train_crs.make_parser().parse_stages(args)[0][1].model_type
    spec, head = get_model_spec(model_type), get_model_spec(model_type).head("conv")
    check_conv_run(output_dir, (model_type, dataset))

    # the checkpoint, in fresh objects: the head through AutoModelForSeq2SeqLM, the base through AutoModel
    model = AutoModelForSeq2SeqLM.from_pretrained(output_dir).eval()
    assert type(model) is head.model_class and type(AutoModel.from_pretrained(output_dir)) is spec.base_model_class
    assert model.config.backbone_name_or_path == str(backbones["zh" if dataset in CHINESE_SAMPLES else "en"])

    # ... generates the responses the script wrote for the test split, token for token
    batch, test, tokenizer = split_batch(args)
    forward = set(inspect.signature(model.forward).parameters)
    inputs = {key: value for key, value in batch.items() if key in forward and key != "labels"}
    generated = model.generate(**inputs, max_new_tokens=GENERATION_LENGTH, num_beams=1)
    saved_tokenizer = AutoTokenizer.from_pretrained(output_dir)
    rows = [json.loads(line) for line in (output_dir / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == len(test) == len(generated) > 0
    for row, tokens in zip(rows, generated.tolist()):
        assert saved_tokenizer.decode(tokens, skip_special_tokens=True).strip() == row["prediction"], dataset
    # ... and scores the references with the reported perplexity (token-weighted)
    with torch.no_grad():
        logits = model(**inputs, labels=batch["labels"]).logits
    nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), batch["labels"], reduction="sum")
    assert metrics["test_perplexity"] == pytest.approx(math.exp(nll.item() / (batch["labels"] != -100).sum().item()),
                                                       rel=1e-4)
    return {"batch": batch, "tokenizer": tokenizer, "model": model, "inputs": inputs}


@pytest.mark.parametrize("dataset", CONV_DATASETS)
def test_gpt2_trains_evaluates_saves_and_reloads(tmp_path, backbones, dataset):
    checked = train_and_check(RECIPES / "gpt2_sample.yaml", dataset, backbones, tmp_path / "gpt2")
    batch, tokenizer = checked["batch"], checked["tokenizer"]
    end = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
    labels = batch["labels"]
    assert (labels.gather(1, (labels != -100).sum(1, keepdim=True) - 1) == end).all()  # each response ends so
    if dataset not in CHINESE_SAMPLES:  # GPT-2's tokenizer has no pad token: padding is the end token, masked
        assert AutoTokenizer.from_pretrained(checked["model"].config.backbone_name_or_path).pad_token is None
        assert tokenizer.pad_token == END
        padding = batch["attention_mask"] == 0
        assert padding.any() and (batch["input_ids"][padding] == end).all()
    if dataset == "redial":  # the reloaded model decodes every way, with the cache
        model, inputs = checked["model"], checked["inputs"]
        beams = model.generate(**inputs, num_beams=3, max_new_tokens=4, min_new_tokens=4)
        torch.manual_seed(0)
        sampled = model.generate(**inputs, do_sample=True, top_k=10, max_new_tokens=4, min_new_tokens=4)
        assert beams.shape == sampled.shape == (len(batch["labels"]), 4)


@pytest.mark.parametrize("dataset", CONV_DATASETS)
def test_inspired_conversation_model_trains_on_both_speakers_turns(tmp_path, backbones, inspired_conv_recipe,
                                                                   dataset):
    checked = train_and_check(inspired_conv_recipe, dataset, backbones, tmp_path / "inspired")
    roles = checked["batch"]["response_roles"]
    assert 0 < int(roles.sum()) < len(roles)  # seeker and recommender turns, each answered by its own LM
