"""Tier 2: KBRD's and KGSF's recommenders on the real ReDial valid split (CRSLab form, real DBpedia KG), dialogs
split 80/10/10: after 30 (KBRD) and 60 (KGSF) steps their Hit@50 beats a popularity baseline on the same split.

The shared folder has no ConceptNet sub-KG for ReDial, so KGSF's word graph is synthetic, built at test time from
the dialogs themselves: consecutive concept words of each utterance are linked (`RelatedTo`). It gives the word GCN
a real vocabulary and a plausible graph; it is not ConceptNet, so the KGSF figure is a pipeline check."""

from collections import Counter

import pytest
from test_train_crs import RECIPE, REPO_ROOT, train_crs

import crs_hf
from crs_hf.data.crs_inputs import CRSVocabulary, recommendation_examples
from crs_hf.data.splits import split_by_dialog
from crs_hf.metrics import RankingMetrics

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def redial_dir(real_data):
    raw = real_data / "redial" / "crslab_nltk"
    if not (raw / "valid_data.json").is_file():
        pytest.skip(f"{raw} has no CRSLab ReDial valid split")
    return raw


def popularity_baseline(data_dir) -> tuple[dict, int]:
    """Hit/MRR/NDCG@k of ranking the items by their count among the training examples; and the test size."""
    vocab = CRSVocabulary.from_dataset("redial", data_dir)
    turns = split_by_dialog(crs_hf.load_dataset("redial", "turns", data_dir=data_dir)["validation"])
    train, test = (recommendation_examples(turns[s], vocab) for s in ("train", "test"))
    popularity = [item for item, _ in Counter(train["rec_labels"]).most_common()]
    popularity += [p for p in range(len(vocab.item_entity_ids)) if p not in set(popularity)]
    baseline = RankingMetrics(ks=(1, 10, 50))
    baseline.add_ranked([popularity[:50]] * len(test), test["rec_labels"])
    return baseline.compute(), len(test)


def train_recommender(recipe: str, data_dir, output_dir, steps: int) -> dict:
    parser = train_crs.make_parser()
    return train_crs.main(*parser.parse_args_and_config([
        "--config", recipe, "--use_sample", "false", "--data_dir", str(data_dir), "--split_dialogs", "true",
        "--config_overrides", "", "--output_dir", str(output_dir), "--max_steps", str(steps),
        "--learning_rate", "0.003", "--per_device_train_batch_size", "64", "--per_device_eval_batch_size", "256",
        "--disable_tqdm", "true", "--eval_strategy", "no", "--save_strategy", "no",  # only the test split counts
    ]))


def report(capsys, model: str, metrics: dict, popular: dict, n_test: int) -> None:
    with capsys.disabled():
        print(f"\nReDial (real valid split, 80/10/10 by dialog): {n_test:,} test examples; "
              f"{model} hit@10 {metrics['test_hit@10']:.4f} hit@50 {metrics['test_hit@50']:.4f} | "
              f"popularity hit@10 {popular['hit@10']:.4f} hit@50 {popular['hit@50']:.4f}")


def test_kbrd_beats_popularity_on_real_redial(redial_dir, tmp_path, capsys):
    metrics = train_recommender(RECIPE, redial_dir, tmp_path / "kbrd", steps=30)
    popular, n_test = popularity_baseline(redial_dir)
    report(capsys, "KBRD", metrics, popular, n_test)
    assert metrics["test_n_samples"] == n_test > 300
    assert metrics["test_hit@50"] > popular["hit@50"]


def test_kgsf_beats_popularity_on_real_redial_with_a_synthetic_word_graph(redial_dir, tmp_path, capsys):
    import json

    data_dir = tmp_path / "redial"
    data_dir.mkdir()
    for path in redial_dir.iterdir():  # the real files, read in place
        (data_dir / path.name).symlink_to(path)
    edges = set()
    for dialog in json.loads((redial_dir / "valid_data.json").read_text()):
        for utterance in dialog["dialog"]:
            edges.update(zip(utterance["word"], utterance["word"][1:]))
    (data_dir / "conceptnet_subkg.txt").write_text(
        "".join(f"RelatedTo\t{head}/n\t{tail}/n\n" for head, tail in sorted(edges) if head != tail))

    recipe = str(REPO_ROOT / "examples" / "recipes" / "kgsf_sample.yaml")
    metrics = train_recommender(recipe, data_dir, tmp_path / "kgsf", steps=60)
    popular, n_test = popularity_baseline(data_dir)
    report(capsys, "KGSF", metrics, popular, n_test)
    config = json.loads((tmp_path / "kgsf" / "config.json").read_text())
    assert config["n_word_edges"] > 1000 and config["n_entity_edges"] > 100_000
    assert metrics["test_n_samples"] == n_test > 300
    assert metrics["test_hit@50"] > popular["hit@50"]
