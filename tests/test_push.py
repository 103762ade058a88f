"""`crs-hf data push` against the project's fake Hub: afterwards plain `datasets.load_dataset(repo_id, config)` works."""

import json
import shutil
import sys

from durecdial2_fixtures import write_parallel
from fake_hub import run_with_hub

import crs_hf

REPO = "crs_hf/durecdial2"


def test_push_then_load_from_the_hub(tmp_path, fake_hub):
    raw = write_parallel(write_parallel(tmp_path / "raw", "train"), "dev")
    crs_hf_cli = shutil.which("crs-hf") or f"{sys.executable} -m crs_hf.cli"
    run_with_hub(
        f"""
        import subprocess, sys
        cmd = {crs_hf_cli!r}.split() + ["data", "push", "durecdial2", "--repo", {REPO!r}, "--data-dir", {str(raw)!r},
                                       "--config", "en-zh", "zh-en", "entity_kg-zh"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        print(proc.stdout, proc.stderr)
        sys.exit(proc.returncode)
        """,
        fake_hub.endpoint, tmp_path / "push",
    )
    files = fake_hub.repo_files(REPO, "dataset")
    assert {"README.md", "en-zh/train-00000-of-00001.parquet", "zh-en/validation-00000-of-00001.parquet",
            "entity_kg-zh/train-00000-of-00001.parquet"} <= set(files)
    assert b"config_name: en-zh" in files["README.md"]

    # A user without crs_hf's builders: only `datasets` and the Hub.
    proc = run_with_hub(
        f"""
        import json, datasets
        out = {{c: {{s: d.to_list() for s, d in datasets.load_dataset({REPO!r}, c).items()}}
               for c in ("en-zh", "zh-en", "entity_kg-zh")}}
        print(json.dumps(out, ensure_ascii=False))
        """,
        fake_hub.endpoint, tmp_path / "load",
    )
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    for config in ("en-zh", "zh-en", "entity_kg-zh"):
        built = crs_hf.load_dataset("durecdial2", config, data_dir=raw, cache_dir=str(tmp_path / "cache"))
        assert loaded[config] == {split: d.to_list() for split, d in built.items()}, config
    assert not fake_hub.unhandled


def test_push_of_bad_data_uploads_nothing(tmp_path, fake_hub):
    raw = write_parallel(tmp_path / "raw")
    (raw / "en_dev.txt").write_text("{oops\n", encoding="utf-8")
    proc = run_with_hub(
        f"""
        import crs_hf, sys
        try:
            crs_hf.data.push_dataset("durecdial2", {REPO!r}, data_dir={str(raw)!r})
        except crs_hf.CRSDataError as error:
            print("ERROR", error)
            sys.exit(3)
        """,
        fake_hub.endpoint, tmp_path / "push", check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "en_dev.txt:1: invalid JSON" in proc.stdout
    assert not fake_hub.repo_exists(REPO, "dataset")
