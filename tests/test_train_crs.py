"""`crs_hf.scripts.train_crs` (launched as `examples/train_crs.py`) on the ReDial sample: every stage of the three
models trains, evaluates and writes its outputs, and the saved models reproduce the reported metrics."""

import json
from pathlib import Path

import pytest
import torch
from conftest import REPO_ROOT

import crs_hf
from crs_hf.data.crs_inputs import ContextEncoding, CRSCollator, CRSVocabulary, recommendation_examples
from crs_hf.metrics import RankingMetrics
from crs_hf.models import KBRDForRecommendation, get_model_spec
from crs_hf.scripts import train_crs

RECIPE = str(REPO_ROOT / "examples" / "recipes" / "kbrd_sample.yaml")


def logged_losses(output_dir) -> list[float]:
    """The training losses the Trainer logged, in order."""
    history = json.loads((output_dir / "trainer_state.json").read_text())["log_history"]
    return [entry["loss"] for entry in history if "loss" in entry]


def test_kbrd_recommender_on_the_redial_sample(tmp_path):
    out = tmp_path / "kbrd"
    parser = train_crs.make_parser()
    args = parser.parse_args_and_config(["--config", RECIPE, "--output_dir", str(out), "--disable_tqdm", "true"])
    metrics = train_crs.main(*args, recipe=parser.recipe_path)

    losses = logged_losses(out)
    assert losses[-1] < losses[0] * 0.7, losses

    # the saved model, the entity graph included, reproduces the test metrics
    data_dir = crs_hf.data.sample_data_dir("redial")
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    test = recommendation_examples(crs_hf.load_dataset("redial", "turns", data_dir=data_dir)["test"], vocab)
    model = KBRDForRecommendation.from_pretrained(out).eval()
    assert model.config.item_ids == vocab.item_entity_ids and model.config.n_entity_edges > 0
    batch = CRSCollator()(list(test))
    with torch.no_grad():
        scores = model(context_entities=batch["context_entities"]).rec_logits
    expected = RankingMetrics(ks=(1, 10, 50))
    expected.add_batch(scores, batch["rec_labels"])
    for key, value in expected.compute().items():
        assert abs(metrics[f"test_{key}"] - value) < 1e-6, key
    assert metrics["test_n_samples"] == len(test) > 0
    assert "test_hit@50_new" in metrics

    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == len(test) and len(rows[0]["ranked_items"]) == 10


@pytest.mark.parametrize("recipe, batch_size, keys", [
    ("kbrd_sample.yaml", 1, ["test_hit@50", "test_mrr@50", "test_ndcg@50", "test_n_samples", "test_hit@50_new"]),
    ("kbrd_conv_sample.yaml", 4, ["test_bleu@2", "test_dist@2", "test_f1", "test_perplexity", "test_crslab_bleu@1"]),
])
def test_one_and_two_processes_give_the_same_test_metrics(tmp_path, recipe, batch_size, keys):
    """A trained model evaluated under `accelerate launch` with one and with two CPU processes (gloo): the
    generations, rankings and perplexity sums are gathered without the duplicates that even out the last batch.
    Two processes take alternate batches of the one-process order, so each batch, and each score, is the same."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import free_port

    recipe = str(REPO_ROOT / "examples" / "recipes" / recipe)
    trained = tmp_path / "trained"
    parser = train_crs.make_parser()
    train_crs.main(*parser.parse_args_and_config(["--config", recipe, "--output_dir", str(trained),
                                                  "--disable_tqdm", "true", "--num_train_epochs", "3"]))
    accelerate = shutil.which("accelerate") or os.path.join(os.path.dirname(sys.executable), "accelerate")
    results = []
    two_processes = ["--config_file", str(REPO_ROOT / "examples" / "accelerate_configs" / "cpu_2proc.yaml"),
                     "--main_process_port", str(free_port())]
    for launch in (["--num_processes", "1", "--cpu"], two_processes):
        out = tmp_path / f"eval{len(results)}"
        command = [accelerate, "launch", *launch, str(REPO_ROOT / "examples" / "train_crs.py"), "--config", recipe,
                   "--model_name_or_path", str(trained), "--num_train_epochs", "0", "--output_dir", str(out),
                   "--per_device_eval_batch_size", str(batch_size), "--disable_tqdm", "true"]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-6000:]
        results.append(json.loads((out / "test_results.json").read_text()))
    one, two = results
    n_test = len((tmp_path / "eval1" / "predictions.jsonl").read_text().splitlines())
    assert n_test % (2 * batch_size)  # two processes pad the last round with duplicates, then drop them
    for key in keys:
        assert abs(one[key] - two[key]) < 1e-6, (key, one[key], two[key])


@pytest.mark.parametrize("recipe", ["kgsf_sample.yaml", "redial_sample.yaml"])
def test_kgsf_and_redial_recommenders_on_the_sample(tmp_path, recipe):
    out = tmp_path / "out"
    parser = train_crs.make_parser()
    args = parser.parse_args_and_config(["--config", str(REPO_ROOT / "examples" / "recipes" / recipe),
                                         "--output_dir", str(out), "--disable_tqdm", "true"])
    metrics = train_crs.main(*args)
    losses = logged_losses(out)
    assert losses[-1] < losses[0], losses
    assert 0 <= metrics["test_hit@50"] <= 1 and metrics["test_n_samples"] > 0
    config = json.loads((out / "config.json").read_text())
    assert config["item_ids"] and config["n_entity"] > max(config["item_ids"])
    if config["model_type"] == "crs_kgsf":
        assert config["n_word_edges"] > 0 and config["n_entity_edges"] > 0  # both graphs saved with the model


def test_kbrd_conversation_stage_from_the_recommender(tmp_path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    rec, conv = tmp_path / "rec", tmp_path / "conv"
    parser = train_crs.make_parser()
    train_crs.main(*parser.parse_args_and_config(["--config", RECIPE, "--output_dir", str(rec), "--disable_tqdm", "true"]))
    recipe = str(REPO_ROOT / "examples" / "recipes" / "kbrd_conv_sample.yaml")
    metrics = train_crs.main(*train_crs.make_parser().parse_args_and_config(
        ["--config", recipe, "--output_dir", str(conv), "--model_name_or_path", str(rec), "--disable_tqdm", "true",
         "--num_train_epochs", "15"]))

    losses = logged_losses(conv)
    assert losses[-1] < losses[0] * 0.5, losses
    for key in ("test_bleu@1", "test_dist@2", "test_f1", "test_crslab_bleu@1", "test_crslab_dist@2"):
        assert key in metrics
    assert 0 < metrics["test_f1"] <= 1  # generated from scratch by generate(), not teacher-forced

    # the conversation model started from the recommender: it carries the same entity graph
    rec_model = KBRDForRecommendation.from_pretrained(rec)
    conv_model = AutoModelForSeq2SeqLM.from_pretrained(conv).eval()
    assert type(conv_model).__name__ == "KBRDForConversation"
    assert torch.equal(conv_model.model.entity_encoder.edge_index, rec_model.model.entity_encoder.edge_index)
    tokenizer = AutoTokenizer.from_pretrained(conv)
    rows = [json.loads(line) for line in (conv / "predictions.jsonl").read_text().splitlines()]
    inputs = tokenizer(["hi , i like comedy movies"], return_tensors="pt", add_special_tokens=False)
    generated = conv_model.generate(input_ids=inputs["input_ids"], context_entities=torch.tensor([[1]]),
                                    max_new_tokens=5)
    assert generated.shape[0] == 1 and generated.shape[1] > 1
    assert rows and all(row["prediction"] and row["reference"] for row in rows)


def test_kgsf_three_stages_from_one_recipe(tmp_path):
    """pretrain -> rec -> conv, each from the previous checkpoint; the conv stage keeps the graph part frozen and its
    perplexity is the token-weighted one of the saved model."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from crs_hf.data.crs_inputs import conversation_examples
    from crs_hf.metrics.generation import Perplexity
    from crs_hf.models import KGSFForPretraining, KGSFForRecommendation

    parser = train_crs.make_parser()
    recipe = str(REPO_ROOT / "examples" / "recipes" / "kgsf_stages_sample.yaml")
    results = train_crs.run_stages(parser.parse_stages(["--config", recipe, "--output_dir", str(tmp_path),
                                                        "--disable_tqdm", "true"]), recipe=parser.recipe_path)
    assert list(results) == ["pretrain", "rec", "conv"]
    assert results["pretrain"]["test_loss"] > 0 and 0 <= results["rec"]["test_hit@50"] <= 1

    pretrained = KGSFForPretraining.from_pretrained(tmp_path / "pretrain")
    recommender = KGSFForRecommendation.from_pretrained(tmp_path / "rec")
    conversation = AutoModelForSeq2SeqLM.from_pretrained(tmp_path / "conv").eval()
    graph_part = recommender.model.state_dict()
    assert any(not torch.equal(value, pretrained.model.state_dict()[key]) for key, value in graph_part.items())
    for key, value in conversation.model.state_dict().items():  # frozen through the conv stage
        assert torch.equal(value, graph_part[key]), key
    assert conversation.copy_head.copy_mask.any()

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "conv")
    data_dir = crs_hf.data.sample_data_dir("redial")
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    test = conversation_examples(crs_hf.load_dataset("redial", "turns", data_dir=data_dir)["test"], vocab,
                                 ContextEncoding(tokenizer))  # the script's defaults: CRSLab's merge_utt, 256 tokens
    batch = CRSCollator(pad_token_id=tokenizer.pad_token_id)(list(test))
    with torch.no_grad():
        logits = conversation(**batch).logits
    perplexity = Perplexity()
    perplexity.add_batch(logits, batch["labels"])
    assert results["conv"]["test_perplexity"] == pytest.approx(perplexity.compute()["ppl"], rel=1e-5)
    assert (tmp_path / "conv" / "predictions.jsonl").is_file() and not (tmp_path / "pretrain" / "predictions.jsonl").exists()
    card = (tmp_path / "conv" / "README.md").read_text()
    assert "The **conversation model** of **KGSF" in card and "| perplexity |" in card
    assert "## Differences from CRSLab" in card and "masks over context entities and words were inverted" in card
    assert "knowledge graph the model was trained with is part of" in card


def test_redial_conversation_model_generates_the_item_placeholder(tmp_path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    recipe = str(REPO_ROOT / "examples" / "recipes" / "redial_conv_sample.yaml")
    parser = train_crs.make_parser()
    metrics = train_crs.main(*parser.parse_args_and_config(["--config", recipe, "--output_dir", str(tmp_path),
                                                            "--disable_tqdm", "true"]))
    losses = logged_losses(tmp_path)
    assert losses[-1] < losses[0] * 0.5, losses
    assert metrics["test_perplexity"] > 1 and 0 < metrics["test_f1"] <= 1

    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    model = AutoModelForSeq2SeqLM.from_pretrained(tmp_path).eval()
    assert type(model).__name__ == "ReDialForConversation"
    assert model.config.item_token_id == tokenizer.convert_tokens_to_ids("__item__") != tokenizer.unk_token_id
    rows = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert any("__item__" in row["reference"] for row in rows)
    assert not any("@" in row["reference"] for row in rows)  # every movie mention became the placeholder
    assert any("__item__" in row["prediction"] for row in rows)  # the switch learnt to produce it
    card = (tmp_path / "README.md").read_text()
    assert "fed the decoder the *previous utterance*" in card and "knowledge graph" not in card  # HRED has none


def test_token_embeddings_are_loaded_and_a_wrong_shape_names_the_file(tmp_path):
    import numpy as np

    from crs_hf.errors import CRSHFError

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(5, 3)

        def get_input_embeddings(self):
            return self.embed

    matrix = np.arange(15, dtype=np.float32).reshape(5, 3)
    np.save(tmp_path / "word2vec.npy", matrix)
    model = Model()
    train_crs.load_token_embeddings(model, str(tmp_path / "word2vec.npy"))
    assert torch.equal(model.embed.weight.detach(), torch.from_numpy(matrix))
    np.save(tmp_path / "wrong.npy", matrix[:4])
    with pytest.raises(CRSHFError, match=r"wrong.npy: token embeddings of shape \(4, 3\), but the model's are \(5, 3\)"):
        train_crs.load_token_embeddings(model, str(tmp_path / "wrong.npy"))


@pytest.mark.parametrize("extra, message", [
    (["--stage", "conv", "--model_type", "crs_redial", "--freeze_graph_encoders", "true"],
     "freeze_graph_encoders applies to the conv stage of a graph model; crs_redial's conv head is not one"),
    (["--stage", "pretrain"], "crs_kbrd has no 'pretrain' head; its stages are rec, conv"),
    (["--early_stopping_patience", "2"], "early_stopping_patience needs load_best_model_at_end=True"),
    (["--data_dir", "somewhere"], "use_sample reads the sample shipped with crs_hf; it cannot go with data_dir='somewhere'"),
    (["--rec_ks", "1", "10", "100"], r"the catalogue has 60 items, fewer than the largest cut-off rec_ks=\[1, 10, 100\]"),
])
def test_stage_options_that_do_not_apply_are_refused(tmp_path, extra, message):
    from crs_hf.errors import CRSHFError

    with pytest.raises(CRSHFError, match=message):
        train_crs.cli(["--config", RECIPE, "--output_dir", str(tmp_path), *extra, "--config_overrides", ""])


def test_a_release_without_the_knowledge_graph_a_model_needs_is_refused_before_training(tmp_path):
    from crs_hf.errors import CRSHFError

    release = tmp_path / "redial"
    release.mkdir()
    for path in Path(crs_hf.data.sample_data_dir("redial")).iterdir():
        if path.name != "dbpedia_subkg.json":
            (release / path.name).symlink_to(path)
    with pytest.raises(CRSHFError, match=f"KBRDForRecommendation needs the redial entity_kg, which {release} does not"):
        train_crs.cli(["--config", RECIPE, "--output_dir", str(tmp_path / "out"), "--use_sample", "false",
                       "--data_dir", str(release)])
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_early_stopping_restores_the_best_checkpoint(tmp_path):
    parser = train_crs.make_parser()
    train_crs.main(*parser.parse_args_and_config([
        "--config", RECIPE, "--output_dir", str(tmp_path), "--disable_tqdm", "true", "--eval_strategy", "epoch",
        "--save_strategy", "epoch", "--load_best_model_at_end", "true", "--early_stopping_patience", "1",
        "--learning_rate", "0.5", "--num_train_epochs", "20"]))  # a rate this high overfits within a few epochs
    state = json.loads((tmp_path / "trainer_state.json").read_text())
    evals = [e["eval_loss"] for e in state["log_history"] if "eval_loss" in e]
    assert state["best_metric"] == min(evals)
    assert len(evals) < 20 and evals[-1] > state["best_metric"]  # stopped one evaluation after the best

    data_dir = crs_hf.data.sample_data_dir("redial")
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    valid = recommendation_examples(crs_hf.load_dataset("redial", "turns", data_dir=data_dir)["validation"], vocab)
    assert len(valid) <= 32  # one evaluation batch: eval_loss is this batch's loss
    batch = CRSCollator()(list(valid))
    with torch.no_grad():
        loss = KBRDForRecommendation.from_pretrained(tmp_path)(batch["context_entities"], batch["rec_labels"]).loss
    assert loss.item() == pytest.approx(state["best_metric"], rel=1e-5)  # the saved model is the best one


@pytest.mark.parametrize("recipe, stages, sizes", [
    ("kbrd_redial.yaml", ["rec", "conv"], {"kg_emb_dim": 128, "num_bases": 8, "user_proj_dim": 512}),
    ("kgsf_redial.yaml", ["pretrain", "rec", "conv"], {"kg_emb_dim": 128, "token_emb_dim": 300, "ffn_size": 300}),
    ("redial_redial.yaml", ["rec", "conv"], {"embedding_dim": 300, "decoder_hidden_size": 256}),
])
def test_crslab_recipes_run_every_stage(tmp_path, recipe, stages, sizes):
    """The CRSLab-hyper-parameter recipes, at CRSLab's model sizes, for two steps a stage on the embedded sample."""
    parser = train_crs.make_parser()
    results = train_crs.run_stages(parser.parse_stages([
        "--config", str(REPO_ROOT / "examples" / "recipes" / recipe), "--use_sample", "true",
        "--output_dir", str(tmp_path), "--max_steps", "2", "--generation_max_length", "3", "--disable_tqdm", "true"]))
    assert list(results) == stages
    for stage in stages:
        config = json.loads((tmp_path / stage / "config.json").read_text())
        assert {key: config[key] for key in sizes} == sizes
    for previous, stage in zip(stages, stages[1:]):  # each from the previous checkpoint, but ReDial's separate models
        started_from = json.loads((tmp_path / stage / "run_args.json").read_text())["model"]["model_name_or_path"]
        assert started_from == (None if recipe.startswith("redial") else str(tmp_path / previous))


def test_an_unknown_config_override_is_refused(tmp_path):
    from crs_hf.errors import CRSHFError

    parser = train_crs.make_parser()
    args = parser.parse_args_and_config(["--config", RECIPE, "--output_dir", str(tmp_path),
                                         "--config_overrides", "kg_emb_dim=16,kg_emb_dims=16"])
    with pytest.raises(CRSHFError, match="crs_kbrd has no setting kg_emb_dims"):
        train_crs.main(*args)


def test_a_shipped_recipe_runs_by_name_and_a_bad_name_is_one_line(tmp_path):
    import subprocess
    import sys

    results = train_crs.cli(["--config", "redial_sample", "--output_dir", str(tmp_path / "out"), "--disable_tqdm",
                             "true", "--num_train_epochs", "1"])
    assert results["rec"]["test_n_samples"] > 0 and (tmp_path / "out" / "config.json").is_file()

    proc = subprocess.run([sys.executable, "-m", "crs_hf.scripts.train_crs", "--config", "no_such_recipe",
                           "--output_dir", str(tmp_path / "bad")], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"train_crs: no recipe 'no_such_recipe' ships with crs_hf; available: {', '.join(sorted(p.stem for p in (REPO_ROOT / 'examples' / 'recipes').glob('*.yaml')))}"]


def test_resuming_from_a_checkpoint_gives_the_uninterrupted_result(tmp_path):
    """Model, optimizer, scheduler, RNG and data order come back from the checkpoint: the resumed run ends where the
    uninterrupted one did."""
    common = ["--config", RECIPE, "--disable_tqdm", "true", "--num_train_epochs", "4", "--save_strategy", "epoch"]
    parser = train_crs.make_parser()
    full = train_crs.main(*parser.parse_args_and_config([*common, "--output_dir", str(tmp_path / "full")]))
    checkpoints = sorted((tmp_path / "full").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert len(checkpoints) == 4
    resumed = train_crs.main(*train_crs.make_parser().parse_args_and_config(
        [*common, "--output_dir", str(tmp_path / "resumed"), "--resume_from_checkpoint", str(checkpoints[1])]))
    assert len(list((tmp_path / "resumed").glob("checkpoint-*"))) == 2  # epochs 3 and 4 only: it did not start over
    for key in ("test_loss", "test_hit@50", "test_mrr@50", "test_ndcg@10"):
        assert resumed[key] == pytest.approx(full[key], abs=1e-6), key


def test_metrics_over_part_of_the_test_split_are_refused(tmp_path):
    from crs_hf.errors import CRSHFError

    with pytest.raises(CRSHFError, match=r"redial test split: 0 of its 11 examples were evaluated"):
        train_crs.cli(["--config", RECIPE, "--output_dir", str(tmp_path), "--num_train_epochs", "1",
                       "--dataloader_drop_last", "true", "--disable_tqdm", "true"])


def test_candidate_items_entities_trains_over_every_entity_and_ranks_the_catalogue(tmp_path):
    """CRSLab's KBRD/KGSF candidate set: scores and the training loss over every entity (but padding), the
    evaluation over the catalogue, which comes first in the model's columns."""
    metrics = train_crs.cli(["--config", RECIPE, "--output_dir", str(tmp_path), "--num_train_epochs", "1",
                             "--candidate_items", "entities", "--disable_tqdm", "true", "--report_to", "none"])["rec"]
    data_dir = crs_hf.data.sample_data_dir("redial")
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    model = KBRDForRecommendation.from_pretrained(tmp_path)
    assert model.config.item_ids[: len(vocab.item_entity_ids)] == vocab.item_entity_ids
    assert sorted(model.config.item_ids) == list(range(1, vocab.n_entity))
    catalogue = set(vocab.item_entity_ids)
    for line in (tmp_path / "predictions.jsonl").read_text().splitlines():
        ranked = json.loads(line)["ranked_items"]
        assert all(vocab.entity_ids[name] in catalogue for name in ranked)  # only catalogue items are recommended
    assert metrics["test_n_samples"] > 0


def test_max_samples_keep_the_first_examples_of_each_split(tmp_path):
    """`max_train_samples` / `max_eval_samples` / `max_test_samples` keep each split's first examples, as built from
    the whole split (the examples follow the turns, several per turn here: one per gold item)."""
    def examples(*extra):
        script, model, training = train_crs.make_parser().parse_args_and_config(
            ["--config", RECIPE, "--output_dir", str(tmp_path), *extra])
        head = get_model_spec(model.model_type).head(training.stage)
        return train_crs.prepare_stage(script, model, training, head).examples

    full = examples()
    cut = examples("--max_train_samples", "5", "--max_eval_samples", "3", "--max_test_samples", "100")
    assert len(full["train"]) > 5 and len(full["validation"]) > 3
    assert cut["train"].to_list() == full["train"].select(range(5)).to_list()
    assert cut["validation"].to_list() == full["validation"].select(range(3)).to_list()
    assert cut["test"].to_list() == full["test"].to_list()  # fewer than 100: all of them
    from crs_hf.errors import CRSHFError

    with pytest.raises(CRSHFError, match="max_test_samples must be at least 1"):
        train_crs.cli(["--config", RECIPE, "--output_dir", str(tmp_path), "--max_test_samples", "0"])


def test_a_stage_without_the_word_graph_it_uses_is_refused_before_training(tmp_path):
    from crs_hf.errors import CRSHFError

    with pytest.raises(CRSHFError, match=r"NTRDForConversation uses the word graph \(use_word_graph=True\), which its "
                                         r"conv stage reads from an earlier stage's checkpoint"):
        train_crs.cli(["--config", "ntrd_sample", "--stage", "conv", "--output_dir", str(tmp_path / "out"),
                       "--config_overrides", "kg_emb_dim=8,num_bases=2,token_emb_dim=16,ffn_size=16"])
    assert not (tmp_path / "out").exists()
