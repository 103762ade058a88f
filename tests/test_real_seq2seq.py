"""Tier 2: the tiny MBart recipe on the real DuRecDial 2.0 dev dialogs, split 80/10/10 by dialog, Table-4 output."""

import json
import re

import pytest
from test_seq2seq import SAMPLE_RECIPE, train_durecdial2

pytestmark = pytest.mark.real_data


def test_tiny_mbart_on_real_dev_dialogs(real_data, tmp_path, capsys):
    raw = real_data / "durecdial2"
    if not (raw / "en_dev.txt").is_file():
        pytest.skip(f"{raw} has no DuRecDial 2.0 dev files")
    out = tmp_path / "out"
    parser = train_durecdial2.make_parser()
    args = parser.parse_args_and_config([
        "--config", SAMPLE_RECIPE, "--use_sample", "false", "--data_dir", str(raw), "--split_dialogs", "true",
        "--dataset_config", "en-zh", "--output_dir", str(out), "--num_train_epochs", "4",
        "--max_train_samples", "1200", "--max_eval_samples", "120", "--generation_max_length", "24",
        "--train_tokenizer_vocab_size", "4000", "--disable_tqdm", "true",
    ])
    metrics = train_durecdial2.main(*args, recipe=parser.recipe_path)
    printed = capsys.readouterr().out
    row = re.search(r"^\| 5\(EN->ZH\) \| crs_hf \| [\d.]+% \| [\d.]+/[\d.]+ \| .* \|$", printed, re.MULTILINE)
    assert row, printed[-2000:]
    print(printed[printed.index("Test results"):])  # visible with pytest -s / in CI logs on failure
    assert 0 < metrics["test_f1"] <= 1 and metrics["test_loss"] < 8  # 4 epochs on 1,200 turns: some overlap already
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 120 and len({r["dialog_id"] for r in rows}) > 5
    assert "| 5(EN->ZH) | mBART (paper) | 55.69% | 0.430/0.325 |" in (out / "README.md").read_text(encoding="utf-8")
