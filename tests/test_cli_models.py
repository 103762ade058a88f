"""`crs-hf models` lists every model from its contract; `crs-hf train` runs a recipe as the script does; the
training script and trainer name no model."""

import json
import subprocess

import crs_hf
from crs_hf.cli import main
from crs_hf.models import CRS_MODELS


def test_models_lists_every_model_with_its_heads_inputs_and_datasets(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line for line in out.splitlines()[2:] if line.startswith("crs_")}
    expected = {(t, head.task) for t, spec in CRS_MODELS.items() for head in spec.heads}
    assert set(rows) == expected
    assert "history_items" in rows[("crs_gru4rec", "rec")] and "[history_items]" in rows[("crs_gru4rec", "rec")]
    assert rows[("crs_kbrd", "rec")].split()[-6:] == ["redial", "tgredial", "gorecdial", "opendialkg", "inspired",
                                                     "durecdial"]
    assert "durecdial2" not in rows[("crs_popularity", "rec")]  # DuRecDial 2.0 has no item catalogue


def test_train_runs_a_shipped_recipe(tmp_path, capsys):
    assert main(["train", "--config", "popularity_sample", "--output_dir", str(tmp_path), "--report_to", "none",
                 "--disable_tqdm", "true"]) == 0
    results = json.loads((tmp_path / "test_results.json").read_text())
    assert results["test_n_samples"] > 0 and 0 < results["test_hit@50"] < 1
    assert main(["train", "--config", "popularity_sample", "--output_dir", str(tmp_path / "x"),
                 "--stage", "conv"]) == 1
    assert "crs_popularity has no 'conv' head; its stages are rec" in capsys.readouterr().err


def test_the_script_and_the_trainer_name_no_model():
    from pathlib import Path

    package = Path(crs_hf.__file__).parent
    found = subprocess.run(["grep", "-rn", r"crs_kbrd\|crs_kgsf\|crs_redial", str(package / "scripts"),
                            str(package / "training")], capture_output=True, text=True)
    assert found.stdout == ""
