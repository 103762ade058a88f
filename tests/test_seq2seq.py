"""DuRecDial 2.0 as translation: source construction, language codes, the trainer and the example script."""

import json
import sys
from pathlib import Path

import datasets
import pytest
import torch
from conftest import REPO_ROOT
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

import crs_hf
from crs_hf.data.seq2seq import LANGUAGE_CODES, LanguageCodes, Seq2SeqCollator, encode_example, encode_source, format_source
from crs_hf.errors import CRSHFError
from crs_hf.tokenization import train_mbart_tokenizer

sys.path.insert(0, str(REPO_ROOT / "examples"))
import train_durecdial2  # noqa: E402

SAMPLE_RECIPE = str(REPO_ROOT / "examples" / "recipes" / "mbart_durecdial2_sample.yaml")

RECORD = {
    "dialog_id": "dev-0", "turn_id": 5, "source_lang": "en", "target_lang": "zh",
    "context": ["hello", "hi there", "any film tonight ?", "maybe", "ok"],
    "context_roles": ["bot", "user", "bot", "user", "bot"],
    "response": "推荐 你 看 纸月亮", "goal": {"type": "电影 推荐", "topic": "纸月亮"},
    "goal_sequence": [{"type": "寒暄", "topic": "寒暄"}, {"type": "电影 推荐", "topic": "纸月亮"}],
    "knowledge": [["纸月亮", "导演", "吴艾达"]], "goal_switch": True,
}


@pytest.fixture(scope="module")
def tokenizer():
    data = crs_hf.load_dataset("durecdial2", "multi", data_dir=crs_hf.data.sample_data_dir("durecdial2"))
    texts = [format_source(r) for r in data["train"]] + list(data["train"]["response"])
    return train_mbart_tokenizer(texts + [format_source(RECORD), RECORD["response"]], vocab_size=1200)


def test_format_source_puts_goal_plan_knowledge_and_context_in_order():
    assert format_source(RECORD) == (
        "[goal] 电影 推荐 : 纸月亮 [plan] 寒暄 -> 电影 推荐 : 纸月亮 [knowledge] 纸月亮 导演 吴艾达 "
        "[context] [bot] hello [user] hi there [bot] any film tonight ? [user] maybe [bot] ok"
    )


def test_truncation_drops_the_plan_then_the_oldest_context(tokenizer):
    full = encode_source(RECORD, tokenizer, 10_000)
    no_plan = tokenizer(format_source(RECORD, include_plan=False))["input_ids"]
    assert encode_source(RECORD, tokenizer, len(full)) == full
    assert encode_source(RECORD, tokenizer, len(full) - 1) == no_plan
    recent = tokenizer(format_source(RECORD, include_plan=False, context=RECORD["context"][-2:]))["input_ids"]
    kept = encode_source(RECORD, tokenizer, len(recent))
    assert kept == recent
    assert tokenizer.decode(kept, skip_special_tokens=True).startswith("[goal] 电影 推荐 : 纸月亮 [knowledge]")


def test_labels_start_with_the_response_language_code(tokenizer):
    codes = LanguageCodes.for_model(tokenizer, decoder_start_token_id=tokenizer.eos_token_id)
    example = encode_example(RECORD, tokenizer, codes, max_source_length=64, max_target_length=16)
    assert example["labels"][0] == tokenizer.convert_tokens_to_ids("zh_CN")
    assert example["labels"][-1] == tokenizer.eos_token_id
    assert example["input_ids"][-2:] == [tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("en_XX")]
    assert tokenizer.decode(example["labels"], skip_special_tokens=True).replace(" ", "") == "推荐你看纸月亮"
    batch = Seq2SeqCollator(tokenizer.pad_token_id)([example, {**example, "labels": example["labels"][:3]}])
    assert batch["labels"][1].tolist()[3:] == [-100] * (len(example["labels"]) - 3)
    assert codes.prefix_from_labels(batch["labels"]).tolist() == [[tokenizer.eos_token_id, example["labels"][0]]] * 2


def test_language_codes_are_required(tokenizer):
    with pytest.raises(ValueError, match="decoder_start_token_id"):
        LanguageCodes.for_model(tokenizer, None)


def test_recipe_values_are_defaults_and_the_command_line_wins(tmp_path):
    parser = train_durecdial2.make_parser()
    script, model, training = parser.parse_args_and_config(
        ["--config", SAMPLE_RECIPE, "--dataset_config", "zh-en", "--output_dir", str(tmp_path), "--num_train_epochs", "2"])
    assert (script.dataset_config, script.use_sample, model.config_name) == ("zh-en", True, "mbart")
    assert training.num_train_epochs == 2 and training.max_source_length == 256  # CLI; recipe
    assert parser.recipe_path == SAMPLE_RECIPE
    bad = tmp_path / "bad.yaml"
    bad.write_text("use_sample: true\nnum_train_epoch: 3\n")
    with pytest.raises(CRSHFError, match="unknown key\\(s\\) num_train_epoch"):
        train_durecdial2.make_parser().parse_args_and_config(["--config", str(bad)])


def run_tiny(tmp_path: Path, task: str, *extra: str) -> tuple[dict, Path]:
    out = tmp_path / task
    args = ["--config", SAMPLE_RECIPE, "--dataset_config", task, "--output_dir", str(out), "--num_train_epochs", "6",
            "--max_eval_samples", "16", "--generation_max_length", "12", "--disable_tqdm", "true",
            "--logging_steps", "2", *extra]
    parser = train_durecdial2.make_parser()
    return train_durecdial2.main(*parser.parse_args_and_config(args), recipe=parser.recipe_path), out


@pytest.mark.parametrize("task", ["en", "zh", "multi", "zh-en", "en-zh"])
def test_tiny_recipe_trains_evaluates_and_reloads(tmp_path, task):
    datasets.disable_progress_bars()
    metrics, out = run_tiny(tmp_path, task, *(["--max_train_samples", "200"] if task == "multi" else []))

    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert losses[-1] < losses[0] * 0.8, f"loss did not fall: {losses}"

    for key in ("test_f1", "test_bleu@1", "test_bleu@2", "test_dist@1", "test_dist@2", "test_knowledge_f1", "test_ls"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert json.loads((out / "test_results.json").read_text())["test_f1"] == metrics["test_f1"]
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 16 and {"prediction", "reference", "dialog_id", "turn_id"} <= set(rows[0])
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "| Task | Method | F1 |" in card and "crs_hf/durecdial2" in card

    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForSeq2SeqLM.from_pretrained(out).eval()
    codes = LanguageCodes.for_model(tokenizer, model.config.decoder_start_token_id)
    records = crs_hf.load_dataset("durecdial2", task, data_dir=crs_hf.data.sample_data_dir("durecdial2"))["test"]
    for record in (records[0], records[len(records) - 1]):  # for `multi`: an English and a Chinese turn
        example = encode_example(record, tokenizer, codes, 256, 64)
        prefix = torch.tensor([codes.decoder_prefix(record["target_lang"])])
        generated = model.generate(torch.tensor([example["input_ids"]]), decoder_input_ids=prefix, max_new_tokens=8)
        assert generated[0, 0].item() == model.config.decoder_start_token_id
        assert tokenizer.convert_ids_to_tokens(generated[0, 1].item()) == LANGUAGE_CODES[record["target_lang"]]
    if task == "multi":
        assert {"test_en_f1", "test_zh_f1"} <= set(metrics)
        import durecdial2_table4

        rows = durecdial2_table4.rows_for_run(out)
        assert [row.split(" | ")[:2] for row in rows] == [
            ["| 3(EN->EN)", "crs_hf tiny mbart"], ["| 3(EN->EN)", "mBART (paper)"],
            ["| 3(ZH->ZH)", "crs_hf tiny mbart"], ["| 3(ZH->ZH)", "mBART (paper)"]]
        assert f"| {100 * metrics['test_zh_f1']:.2f}% |" in rows[2]


def test_config_overrides_and_dialog_split():
    from crs_hf.data.splits import split_by_dialog
    from crs_hf.recipes import parse_config_overrides

    assert parse_config_overrides("d_model=64, dropout=0.1,scale_embedding=true,activation_function=gelu") == {
        "d_model": 64, "dropout": 0.1, "scale_embedding": True, "activation_function": "gelu"}
    with pytest.raises(CRSHFError, match="key=value pairs, got 'd_model'"):
        parse_config_overrides("d_model")
    rows = datasets.Dataset.from_dict({"dialog_id": [f"d{i // 3}" for i in range(300)], "turn_id": list(range(300))})
    split = split_by_dialog(rows)
    assert sum(len(s) for s in split.values()) == 300
    ids = {name: set(part["dialog_id"]) for name, part in split.items()}
    assert not (ids["train"] & ids["test"]) and not (ids["train"] & ids["validation"])  # dialogs stay whole
    assert 0.6 < len(split["train"]) / 300 < 0.95 and split_by_dialog(rows)["test"]["turn_id"] == split["test"]["turn_id"]
