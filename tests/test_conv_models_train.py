"""The knowledge-free conversation models (Transformer, HRED) through the training script with their sample
recipes, on the sample of every dataset with a word-level vocabulary: each trains (two steps), is evaluated on the
test split (BLEU, Distinct, F1, perplexity), is saved, and the checkpoint reloaded with `AutoModelForSeq2SeqLM`
generates exactly the responses the script reported. Then the context-length rule: the data layer's
`max_context_tokens` keeps the model within its positions, and a longer context is one clear `ValueError`."""

import inspect
import json
import math
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT
from models_common import check_conv_run
from transformers import AutoModel, AutoModelForSeq2SeqLM, AutoTokenizer

from crs_hf.data import DATASETS
from crs_hf.data.source import CRSDataSource
from crs_hf.errors import CRSHFError
from crs_hf.models import get_model_spec
from crs_hf.scripts import train_crs

MODELS = {"crs_transformer": "transformer", "crs_hred": "hred"}  # model_type -> examples/recipes/<x>_sample.yaml
# every dataset whose sample ships with crs_hf and has CRSLab's word-level vocabulary (DuRecDial 2.0 has none)
CONV_DATASETS = [name for name, facts in DATASETS.items()
                 if facts.has_sample and CRSDataSource.sample(name).has_config("token2id")]
GENERATION_LENGTH = 5
COMMON = ["--max_steps", "2", "--per_device_eval_batch_size", "256", "--generation_max_length",
          str(GENERATION_LENGTH), "--disable_tqdm", "true", "--report_to", "none"]


def test_the_conversation_datasets_are_the_six_crslab_ones():
    assert sorted(CONV_DATASETS) == sorted(["redial", "tgredial", "gorecdial", "opendialkg", "inspired", "durecdial"])


def script_args(model_type: str, dataset: str, output_dir: Path, *extra: str) -> list[str]:
    recipe = REPO_ROOT / "examples" / "recipes" / f"{MODELS[model_type]}_sample.yaml"
    return ["--config", str(recipe), "--dataset_name", dataset, "--output_dir", str(output_dir), *COMMON, *extra]


def split_batch(args: list[str]) -> tuple[dict, list]:
    """The test split as the script built it, collated into one batch (256 >= every sample's test split)."""
    script, model, training = train_crs.make_parser().parse_args_and_config(args)
    head = get_model_spec(model.model_type).head("conv")
    data = train_crs.prepare_stage(script, model, training, head)
    return data.collator(list(data.examples["test"])), data.examples["test"]


def train_and_check(model_type: str, dataset: str, output_dir: Path) -> dict:
    args = script_args(model_type, dataset, output_dir)
    metrics = train_crs.cli(args)["conv"]
    spec, head = get_model_spec(model_type), get_model_spec(model_type).head("conv")
    check_conv_run(output_dir, (model_type, dataset))

    # the checkpoint: the head through AutoModelForSeq2SeqLM, the base model through AutoModel, the same weights
    model = AutoModelForSeq2SeqLM.from_pretrained(output_dir).eval()
    base = AutoModel.from_pretrained(output_dir)
    assert type(model) is head.model_class and type(base) is spec.base_model_class
    for key, value in model.base_model.state_dict().items():
        assert torch.equal(value, base.state_dict()[key]), (model_type, dataset, key)

    # ... generates the responses the script wrote for the test split, token for token
    batch, test = split_batch(args)
    forward = set(inspect.signature(model.forward).parameters)
    inputs = {key: value for key, value in batch.items() if key in forward and key != "labels"}
    generated = model.generate(**inputs, max_new_tokens=GENERATION_LENGTH, num_beams=1)
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    rows = [json.loads(line) for line in (output_dir / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == len(test) > 0
    for row, tokens in zip(rows, generated.tolist()):
        assert tokenizer.decode(tokens, skip_special_tokens=True).strip() == row["prediction"], (model_type, dataset)
    # ... and scores the references with the reported perplexity (token-weighted)
    with torch.no_grad():
        logits = model(**inputs, labels=batch["labels"]).logits
    nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), batch["labels"], reduction="sum")
    perplexity = math.exp(nll.item() / (batch["labels"] != -100).sum().item())
    assert metrics["test_perplexity"] == pytest.approx(perplexity, rel=1e-4), (model_type, dataset)
    return inputs


@pytest.mark.parametrize("dataset", CONV_DATASETS)
def test_each_conversation_model_trains_evaluates_saves_and_reloads(tmp_path, dataset):
    for model_type, folder in MODELS.items():
        inputs = train_and_check(model_type, dataset, tmp_path / folder)
        if dataset == "redial":  # the reloaded model decodes every way, with the cache
            model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / folder).eval()
            rows = next(iter(inputs.values())).shape[0]
            beams = model.generate(**inputs, num_beams=3, max_new_tokens=4, min_new_tokens=4)
            torch.manual_seed(0)
            sampled = model.generate(**inputs, do_sample=True, top_k=10, max_new_tokens=4, min_new_tokens=4)
            assert beams.shape == sampled.shape == (rows, 5)


def test_a_dataset_without_a_word_vocabulary_is_refused_before_training(tmp_path):
    with pytest.raises(CRSHFError, match=r"durecdial2 has no turns / items config: train_crs's models read a "
                                         r"dataset in CRSLab's processed form"):
        train_crs.cli(script_args("crs_transformer", "durecdial2", tmp_path))
    assert not (tmp_path / "model.safetensors").exists()


def test_the_context_is_cut_to_max_context_tokens_and_a_longer_limit_is_refused(tmp_path):
    positions = ["--config_overrides", "token_emb_dim=16,ffn_size=16,n_positions=16", "--max_response_tokens", "16"]
    args = script_args("crs_transformer", "redial", tmp_path / "cut", "--max_context_tokens", "16", *positions)
    batch, _ = split_batch(args)
    assert batch["input_ids"].shape[1] == 16  # the sample's contexts are longer: each keeps its last 16 tokens
    train_crs.cli(args)
    assert (tmp_path / "cut" / "model.safetensors").is_file()
    too_long = script_args("crs_transformer", "redial", tmp_path / "long", "--max_context_tokens", "64", *positions)
    with pytest.raises(CRSHFError, match=r"max_context_tokens=64 exceeds TransformerForConversation's n_positions=16"):
        train_crs.cli(too_long)  # refused before training, not at the first long batch
    assert not (tmp_path / "long" / "model.safetensors").exists()


@pytest.mark.parametrize("recipe, sizes", [
    ("transformer_redial.yaml", {"token_emb_dim": 300, "n_heads": 2, "n_layers": 2, "ffn_size": 300,
                                 "n_positions": 1024, "dropout": 0.1, "relu_dropout": 0.1}),
    ("hred_redial.yaml", {"embedding_dim": 300, "utterance_encoder_hidden_size": 256,
                          "dialog_encoder_hidden_size": 256, "decoder_hidden_size": 256, "dropout": 0.0}),
])
def test_the_crslab_recipes_parse_into_crslabs_sizes(recipe, sizes):
    """Every key of the CRSLab-hyper-parameter recipes is known, and they give CRSLab's model and data sizes."""
    script, model, training = train_crs.make_parser().parse_args_and_config(
        ["--config", str(REPO_ROOT / "examples" / "recipes" / recipe)])
    config = get_model_spec(model.model_type).config_class(**train_crs.config_overrides(model))
    assert {key: getattr(config, key) for key in sizes} == sizes
    assert (training.stage, training.learning_rate, script.dataset_name) == ("conv", 0.001, "redial")
    if model.model_type == "crs_transformer":  # CRSLab's context_truncate fits the positions
        assert script.max_context_tokens == config.n_positions == 1024
        assert training.per_device_train_batch_size == 64 and training.num_train_epochs == 1
    else:
        assert (script.max_context_tokens, script.max_utterances) == (80, 40)
        assert training.per_device_train_batch_size == 128
