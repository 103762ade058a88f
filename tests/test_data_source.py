"""Training data from wherever it is: a raw release folder, an export folder (`crs-hf data export`) and a pushed
dataset repo (`load_dataset("crs_hf/redial", ...)` against the fake Hub) give the same examples, and the same test
metrics through the training script."""

import json
from pathlib import Path

import pytest
from fake_hub import run_with_hub

import crs_hf
from crs_hf.data import export_dataset, sample_data_dir
from crs_hf.data.crs_inputs import CRSVocabulary, recommendation_examples
from crs_hf.data.source import CRSDataSource
from crs_hf.errors import CRSHFError

CONFIGS = ["turns", "entity_kg", "word_kg", "items", "entity2id", "word2id", "token2id"]


def examples_of(source: CRSDataSource) -> dict:
    vocab = CRSVocabulary.from_source(source)
    graph = source.graph("entity_kg")
    turns = source.load("turns")
    return {
        "edges": graph.edge_index.tolist(), "relations": graph.edge_type.tolist(),
        "words": source.graph("word_kg").edge_index.tolist(),
        **{split: recommendation_examples(turns[split], vocab).to_list() for split in turns},
    }


def test_raw_release_export_folder_and_hub_repo_give_the_same_examples(tmp_path, fake_hub):
    raw = sample_data_dir("redial")
    export_dataset("redial", tmp_path / "export", data_dir=raw, configs=CONFIGS)
    expected = examples_of(CRSDataSource("redial", data_dir=raw))
    assert len(expected["train"]) > 0 and len(expected["edges"][0]) > 0
    assert examples_of(CRSDataSource("redial", dataset_path=str(tmp_path / "export"))) == expected

    proc = run_with_hub(
        f"""
        import json, sys
        import crs_hf
        crs_hf.data.push_dataset("redial", "crs_hf/redial", data_dir={raw!r}, configs={CONFIGS!r})
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_data_source import examples_of
        from crs_hf.data.source import CRSDataSource
        print(json.dumps(examples_of(CRSDataSource("redial", dataset_path="crs_hf/redial"))))
        """,
        fake_hub.endpoint, tmp_path / "hub",
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == json.loads(json.dumps(expected))


def test_the_script_trains_from_an_export_folder_as_from_the_raw_release(tmp_path):
    from crs_hf.scripts import train_crs

    export_dataset("redial", tmp_path / "export", data_dir=sample_data_dir("redial"), configs=CONFIGS)
    common = ["--config", "kbrd_sample", "--use_sample", "false", "--num_train_epochs", "2", "--disable_tqdm", "true",
              "--report_to", "none"]
    raw = train_crs.cli([*common, "--data_dir", sample_data_dir("redial"), "--output_dir", str(tmp_path / "a")])
    exported = train_crs.cli([*common, "--dataset_path", str(tmp_path / "export"), "--output_dir", str(tmp_path / "b")])
    drop = ("test_runtime", "test_samples_per_second", "test_steps_per_second")
    assert {k: v for k, v in raw["rec"].items() if k not in drop} == {
        k: v for k, v in exported["rec"].items() if k not in drop}


def test_a_source_is_one_place():
    with pytest.raises(CRSHFError, match="give a raw release folder .* or an export folder / Hub repo"):
        CRSDataSource("redial", data_dir="a", dataset_path="b")
    with pytest.raises(CRSHFError, match="unknown dataset 'nope'"):
        CRSDataSource("nope")
    assert crs_hf.data.source.CRSDataSource.sample("redial").data_dir == sample_data_dir("redial")
