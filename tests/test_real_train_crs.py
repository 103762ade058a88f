"""Tier 2: KBRD's recommender on the real ReDial valid split (CRSLab form, real DBpedia KG), dialogs split 80/10/10:
after 60 steps its Hit@50 beats a popularity baseline on the same split."""

from collections import Counter

import pytest
from test_train_crs import RECIPE, train_crs

import crs_hf
from crs_hf.data.crs_inputs import CRSVocabulary, recommendation_examples
from crs_hf.data.splits import split_by_dialog
from crs_hf.metrics import RankingMetrics

pytestmark = pytest.mark.real_data


def test_kbrd_beats_popularity_on_real_redial(real_data, tmp_path, capsys):
    raw = real_data / "redial" / "crslab_nltk"
    if not (raw / "valid_data.json").is_file():
        pytest.skip(f"{raw} has no CRSLab ReDial valid split")
    parser = train_crs.make_parser()
    args = parser.parse_args_and_config([
        "--config", RECIPE, "--use_sample", "false", "--data_dir", str(raw), "--split_dialogs", "true",
        "--config_overrides", "", "--output_dir", str(tmp_path / "kbrd"), "--max_steps", "60",
        "--learning_rate", "0.003", "--per_device_train_batch_size", "64", "--per_device_eval_batch_size", "256",
        "--disable_tqdm", "true",
    ])
    metrics = train_crs.main(*args)

    vocab = CRSVocabulary.from_dataset("redial", raw)
    turns = split_by_dialog(crs_hf.load_dataset("redial", "turns", data_dir=raw)["validation"])
    train, test = (recommendation_examples(turns[s], vocab) for s in ("train", "test"))
    popularity = [item for item, _ in Counter(train["rec_labels"]).most_common()]
    popularity += [p for p in range(len(vocab.item_entity_ids)) if p not in set(popularity)]
    baseline = RankingMetrics(ks=(1, 10, 50))
    baseline.add_ranked([popularity[:50]] * len(test), test["rec_labels"])
    popular = baseline.compute()
    with capsys.disabled():
        print(f"\nReDial (real valid split, 80/10/10 by dialog): {len(test):,} test examples; "
              f"KBRD hit@10 {metrics['test_hit@10']:.4f} hit@50 {metrics['test_hit@50']:.4f} | "
              f"popularity hit@10 {popular['hit@10']:.4f} hit@50 {popular['hit@50']:.4f}")
    assert metrics["test_n_samples"] == len(test) > 300
    assert metrics["test_hit@50"] > popular["hit@50"]
