"""Export to the Hub layout and the `crs-hf` CLI."""

import subprocess
import sys

import datasets
import pytest
import yaml
from durecdial2_fixtures import write_parallel

import crs_hf
from crs_hf.cli import main
from crs_hf.data import export_dataset
from crs_hf.errors import CRSHFError


@pytest.fixture
def raw(tmp_path):
    raw = write_parallel(tmp_path / "raw", "train")
    return write_parallel(raw, "dev")


def card_header(path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def test_export_layout_and_card(tmp_path, raw):
    out = tmp_path / "hub"
    result = export_dataset("durecdial2", out, data_dir=raw, configs=["en-zh", "entity_kg-en"],
                            cache_dir=str(tmp_path / "cache"))
    assert result.rows == {"en-zh": {"train": 5, "validation": 5}, "entity_kg-en": {"train": 2}}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "README.md",
        "en-zh/train-00000-of-00001.parquet",
        "en-zh/validation-00000-of-00001.parquet",
        "entity_kg-en/train-00000-of-00001.parquet",
    ]
    header = card_header(out / "README.md")
    assert header["license"] == "cc-by-nc-sa-4.0"
    assert header["configs"] == [
        {"config_name": "en-zh", "data_files": [
            {"split": "train", "path": "en-zh/train-00000-of-00001.parquet"},
            {"split": "validation", "path": "en-zh/validation-00000-of-00001.parquet"},
        ]},
        {"config_name": "entity_kg-en", "data_files": [{"split": "train", "path": "entity_kg-en/train-00000-of-00001.parquet"}]},
    ]
    card = (out / "README.md").read_text(encoding="utf-8")
    for needle in ("## Configs and splits", "| `en-zh` | validation | 5 |", "## Data fields", "`user_profile` | `Json",
                   "## Provenance", "`en_dev.txt`", "## Citation", "liu-etal-2021-durecdial", "word-segmented"):
        assert needle in card, needle


def test_plain_datasets_load_equals_builder_output(tmp_path, raw):
    out = tmp_path / "hub"
    export_dataset("durecdial2", out, data_dir=raw, configs=["en", "en-zh"], cache_dir=str(tmp_path / "cache"))
    for config in ("en", "en-zh"):
        built = crs_hf.load_dataset("durecdial2", config, data_dir=raw, cache_dir=str(tmp_path / "cache"))
        loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "plain-cache"))
        assert set(loaded) == set(built) == {"train", "validation"}
        for split in built:
            assert loaded[split].features == built[split].features
            assert loaded[split].to_list() == built[split].to_list()


def test_default_config_is_marked(tmp_path, raw):
    out = tmp_path / "hub"
    export_dataset("durecdial2", out, data_dir=raw, configs=["en", "zh"], cache_dir=str(tmp_path / "cache"))
    configs = {c["config_name"]: c for c in card_header(out / "README.md")["configs"]}
    assert configs["en"].get("default") is True and "default" not in configs["zh"]
    assert len(datasets.load_dataset(str(out), cache_dir=str(tmp_path / "plain"))["train"]) == 5  # default = en


def test_export_refuses_a_non_empty_folder_unless_overwrite(tmp_path, raw):
    out = tmp_path / "hub"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(CRSHFError, match="exists and is not empty"):
        export_dataset("durecdial2", out, data_dir=raw, configs=["en"], cache_dir=str(tmp_path / "cache"))
    assert (out / "keep.txt").read_text() == "mine"
    export_dataset("durecdial2", out, data_dir=raw, configs=["en"], cache_dir=str(tmp_path / "cache"), overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "en" / "train-00000-of-00001.parquet").is_file()


def test_failed_export_leaves_nothing(tmp_path, raw):
    (raw / "zh_dev.txt").write_text('{"goal": 1}\n', encoding="utf-8")
    with pytest.raises(crs_hf.CRSDataError, match=r"zh_dev\.txt:1: conversation: missing field"):
        export_dataset("durecdial2", tmp_path / "hub", data_dir=raw, cache_dir=str(tmp_path / "cache"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "raw"]


def test_cli_list(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for config in ("en (default)", "zh", "multi", "zh-en", "en-zh", "dialogs-en", "dialogs-zh", "entity_kg-en",
                   "entity_kg-zh"):
        assert f"durecdial2  {config}" in out


def test_cli_export_prints_the_table(tmp_path, raw, capsys):
    out = tmp_path / "hub"
    assert main(["data", "export", "durecdial2", "--data-dir", str(raw), "--out", str(out), "--config", "zh",
                 "dialogs-en", "--cache-dir", str(tmp_path / "cache")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["dataset", "config", "split", "rows"]
    assert [line.split() for line in lines[2:6]] == [
        ["durecdial2", "zh", "train", "5"], ["durecdial2", "zh", "validation", "5"],
        ["durecdial2", "dialogs-en", "train", "2"], ["durecdial2", "dialogs-en", "validation", "2"],
    ]


def test_cli_bad_input_is_one_line_without_traceback(tmp_path, raw):
    (raw / "en_train.txt").write_text("[1, 2]\n", encoding="utf-8")
    out = tmp_path / "hub"
    proc = subprocess.run(
        [sys.executable, "-m", "crs_hf.cli", "data", "export", "durecdial2", "--data-dir", str(raw), "--out", str(out),
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,  # not the checkout: import the installed crs_hf
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"crs-hf: error: {raw / 'en_train.txt'}:1: expected a JSON object, got list"
    )
    assert not out.exists()


def test_cli_demo_exports_every_sample_dataset_and_trains_kbrd(tmp_path, capsys):
    import json

    assert main(["demo", "--out", str(tmp_path / "demo"), "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in printed[2:] if line.startswith("durecdial2")]
    assert {row[1] for row in rows} == {"en", "zh", "multi", "zh-en", "en-zh", "dialogs-en", "dialogs-zh",
                                        "entity_kg-en", "entity_kg-zh"}
    assert ["durecdial2", "en-zh", "test", "60"] in rows
    loaded = datasets.load_dataset(str(tmp_path / "demo" / "durecdial2"), "en-zh", cache_dir=str(tmp_path / "plain"))
    assert len(loaded["test"]) == 60

    # then KBRD's recommender: the printed test metrics are the saved ones
    saved = json.loads((tmp_path / "demo" / "kbrd_sample" / "test_results.json").read_text())
    metrics = {row[0]: float(row[1]) for row in map(str.split, printed) if len(row) == 2 and row[0][:3] in ("hit", "mrr", "ndc")}
    assert set(metrics) >= {"hit@1", "hit@10", "hit@50", "mrr@50", "ndcg@50", "hit@50_new"}
    for key, value in metrics.items():
        assert value == pytest.approx(saved[f"test_{key}"], abs=5e-5), key


def test_export_of_a_text_only_release_skips_the_configs_it_cannot_give(tmp_path):
    from crslab_fixtures import write_redial_raw

    raw = write_redial_raw(tmp_path / "raw")
    result = export_dataset("redial", tmp_path / "hub", data_dir=raw, cache_dir=str(tmp_path / "cache"))
    assert set(result.rows) == {"turns", "dialogs", "items"}
    assert set(result.skipped) == {"entity_kg", "word_kg", "entity2id", "word2id", "token2id"}
    card = (tmp_path / "hub" / "README.md").read_text(encoding="utf-8")
    assert "Not in this export" in card and "- `entity_kg`: config 'entity_kg' needs CRSLab's processed release" in card
    assert len(datasets.load_dataset(str(tmp_path / "hub"), "turns", cache_dir=str(tmp_path / "plain"))["validation"]) > 0
    with pytest.raises(crs_hf.CRSDataError, match="needs CRSLab's processed release"):  # asked for by name: an error
        export_dataset("redial", tmp_path / "hub2", data_dir=raw, configs=["turns", "entity_kg"],
                       cache_dir=str(tmp_path / "cache"))
    assert not (tmp_path / "hub2").exists()
