"""NTRD through the training script: pretrain -> rec -> conv with `ntrd_sample.yaml` on the sample of every dataset
with items (two steps a stage), evaluated, saved, and reloaded through `AutoModelForSeq2SeqLM`, whose loss on the
test split is the reported one and whose generated templates `fill_slots` fills; rec -> conv without a word graph;
the CRSLab-hyper-parameter recipe at CRSLab's sizes; datasets that cannot feed the item selector."""

import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO_ROOT
from safetensors import safe_open
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

import crs_hf
from crs_hf.data import DATASETS
from crs_hf.data.source import CRSDataSource
from crs_hf.errors import CRSHFError
from crs_hf.models import get_model_spec
from crs_hf.models.ntrd import NTRDForConversation, NTRDForRecommendation
from crs_hf.scripts import train_crs

RECIPE = REPO_ROOT / "examples" / "recipes" / "ntrd_sample.yaml"
ITEM_DATASETS = [name for name, facts in DATASETS.items()
                 if facts.has_sample and CRSDataSource.sample(name).has_config("items")]
COMMON = ["--max_steps", "2", "--generation_max_length", "5", "--per_device_eval_batch_size", "64",
          "--disable_tqdm", "true", "--report_to", "none"]


def conv_stage(args: list[str]):
    """The conv stage the script builds for these arguments (its examples, collator and tokenizer)."""
    stages = train_crs.make_parser().parse_stages(args)
    script, model, training = next(stage for stage in stages if stage[2].stage == "conv")
    return train_crs.prepare_stage(script, model, training, get_model_spec("crs_ntrd").head("conv"))


def check_conversation_checkpoint(folder: Path, data, metrics: dict) -> NTRDForConversation:
    """The saved conv stage loads through the Auto classes, matches the data's sizes, gives the reported test loss,
    and its generated templates get one catalogue item per placeholder, none twice in a response."""
    model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert type(model) is NTRDForConversation
    assert model.config.item_token_id == tokenizer.convert_tokens_to_ids("__item__") != tokenizer.unk_token_id
    assert model.config.vocab_size == len(tokenizer) and model.config.n_items == data.n_eval_items
    assert not model.copy_head.copy_mask[model.config.item_token_id]

    test = data.examples["test"]
    assert len((folder / "predictions.jsonl").read_text().splitlines()) == len(test) > 0
    batch = data.collator(list(test))  # one evaluation batch, as the script ran it (64 >= every test split)
    assert "response_item_positions" in batch
    inputs = {key: batch[key] for key in ("input_ids", "attention_mask", "context_entities", "context_words")}
    with torch.no_grad():
        out = model(**inputs, labels=batch["labels"], response_item_positions=batch["response_item_positions"])
    assert metrics["test_loss"] == pytest.approx(out.loss.item(), rel=1e-5)  # the selection term included
    assert math.isfinite(metrics["test_perplexity"]) and metrics["test_perplexity"] > 1

    generated = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    chosen = model.fill_slots(**inputs, generated_ids=generated)
    placeholders = ((generated[:, 1:] == model.config.item_token_id)
                    & ((generated[:, 1:] == model.config.eos_token_id).cumsum(1) == 0)).sum(1)
    assert chosen.shape[0] == len(test) and ((chosen >= 0).sum(1) == placeholders).all()
    assert (chosen < model.config.n_items).all()
    for row in chosen.tolist():
        placed = [item for item in row if item >= 0]
        assert len(placed) == len(set(placed))
    return model


@pytest.mark.parametrize("dataset", ITEM_DATASETS)
def test_three_stages_train_evaluate_save_and_reload(tmp_path, dataset):
    args = ["--config", str(RECIPE), "--dataset_name", dataset, "--output_dir", str(tmp_path), *COMMON]
    results = train_crs.cli(args)
    assert list(results) == ["pretrain", "rec", "conv"]
    assert results["pretrain"]["test_loss"] > 0 and 0 <= results["rec"]["test_hit@50"] <= 1
    for stage in results:
        state = json.loads((tmp_path / stage / "trainer_state.json").read_text())
        assert state["global_step"] == 2, (dataset, stage)

    model = check_conversation_checkpoint(tmp_path / "conv", conv_stage(args), results["conv"])
    recommender = NTRDForRecommendation.from_pretrained(tmp_path / "rec")
    for key, value in recommender.model.state_dict().items():  # the graph part, frozen through the conv stage
        assert torch.equal(model.model.state_dict()[key], value), (dataset, key)
    assert torch.equal(model.item_scorer.bias, recommender.item_scorer.bias)  # fill_slots' fallback ranking
    assert model.config.n_word_edges > 0 and model.config.n_entity_edges > 0  # both graphs, from pretraining


@pytest.mark.parametrize("dataset", ITEM_DATASETS)  # TG-ReDial: items `title（year）`, responses `《 title 》`
def test_every_dataset_with_items_gives_the_selector_slots_to_learn(tmp_path, dataset):
    data = conv_stage(["--config", str(RECIPE), "--dataset_name", dataset, "--output_dir", str(tmp_path)])
    train = data.examples["train"]
    slots = [position for row in train["response_item_positions"] for position in row]
    assert sum(position >= 0 for position in slots) > 0, dataset
    item = data.tokenizer.convert_tokens_to_ids("__item__")
    assert [row.count(item) for row in train["labels"]] == [len(row) for row in train["response_item_positions"]]


def test_without_a_word_graph_rec_then_conv(tmp_path):
    recipe = yaml.safe_load(RECIPE.read_text())
    recipe["config_overrides"] += ",use_word_graph=false"
    recipe["stages"] = recipe["stages"][1:]  # no pre-training: it needs the word graph
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    args = ["--config", str(tmp_path / "recipe.yaml"), "--output_dir", str(tmp_path / "out"), *COMMON]
    results = train_crs.cli(args)
    assert list(results) == ["rec", "conv"]
    model = check_conversation_checkpoint(tmp_path / "out" / "conv", conv_stage(args), results["conv"])
    assert not model.config.use_word_graph and model.conv_decoder.n_memories == 2
    with safe_open(tmp_path / "out" / "conv" / "model.safetensors", "pt") as weights:
        assert not [key for key in weights.keys() if "word" in key]


def test_crslab_recipe_runs_every_stage_at_crslab_sizes(tmp_path):
    path = REPO_ROOT / "examples" / "recipes" / "ntrd_redial.yaml"
    values = yaml.safe_load(path.read_text())
    assert (values["dataset_name"], values["model_type"]) == ("redial", "crs_ntrd")
    results = train_crs.cli(["--config", str(path), "--use_sample", "true", "--output_dir", str(tmp_path),
                             "--max_steps", "2", "--generation_max_length", "3", "--disable_tqdm", "true",
                             "--report_to", "none", "--eval_strategy", "no", "--save_strategy", "no",
                             "--per_device_train_batch_size", "8", "--max_context_tokens", "64"])  # suite time
    assert list(results) == ["pretrain", "rec", "conv"]
    config = json.loads((tmp_path / "conv" / "config.json").read_text())
    sizes = {"token_emb_dim": 300, "kg_emb_dim": 128, "ffn_size": 300, "num_bases": 8, "gen_loss_weight": 5.0}
    assert {key: config[key] for key in sizes} == sizes and config["use_word_graph"]


def test_a_dataset_without_items_or_knowledge_graph_is_refused_before_training(tmp_path):
    with pytest.raises(CRSHFError, match="durecdial2 has no turns / items config: train_crs's models read a dataset "
                                         "in CRSLab's processed form"):
        train_crs.cli(["--config", str(RECIPE), "--dataset_name", "durecdial2", "--output_dir", str(tmp_path)])
    assert not tmp_path.joinpath("pretrain").exists()


def test_an_empty_catalogue_is_one_clear_error(tmp_path):
    """A release whose item list is empty while its dialogs name items: the builder names the file and record."""
    release = tmp_path / "redial"
    release.mkdir()
    for path in Path(crs_hf.data.sample_data_dir("redial")).iterdir():
        if path.name != "movie_ids.json":
            (release / path.name).symlink_to(path)
    (release / "movie_ids.json").write_text("[]")
    recipe = yaml.safe_load(RECIPE.read_text())
    recipe.update(use_sample=False, stages=recipe["stages"][2:])
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    with pytest.raises(CRSHFError, match=r"train_data.json:1: dialog\[\d+\]\.movies: .* is not in the item list"):
        train_crs.cli(["--config", str(tmp_path / "recipe.yaml"), "--data_dir", str(release),
                       "--output_dir", str(tmp_path / "out")])
