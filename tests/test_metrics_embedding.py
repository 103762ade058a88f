"""Embedding metrics: worked examples of the standard and CRSLab definitions (expected values by hand), the word
vector files (`.npy` aligned with a tokenizer, word2vec text, gensim KeyedVectors), and the trainer's
`word_vectors` setting, checked before training and reported as `emb_*` / `crslab_emb_*`."""

import json
import math
import sys
import types

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT
from transformers import EvalPrediction

from crs_hf.errors import CRSDataError, CRSHFError
from crs_hf.metrics import WordVectors, conversation_metrics, load_word_vectors
from crs_hf.metrics.embedding import embedding_scores
from crs_hf.models.retrieval import RetrievalConfig, RetrievalForConversation
from crs_hf.scripts import train_crs
from crs_hf.tokenization import word_level_tokenizer
from crs_hf.training import crs as crs_training

VECTORS = {"a": [1.0, 0.0], "b": [0.0, 1.0]}
SQRT2 = math.sqrt(2)


def test_an_unknown_token_is_skipped_in_the_standard_variant_and_a_zero_vector_in_crslabs():
    # hyp "a z", ref "a b"; "z" has no vector
    standard = conversation_metrics(["a z"], ["a b"], embeddings=VECTORS)
    assert standard["emb_avg"] == pytest.approx(1 / SQRT2)  # cos([1, 0], [1, 1])
    assert standard["emb_extreme"] == pytest.approx(1 / SQRT2)  # extrema [1, 0] and [1, 1]
    assert standard["emb_greedy"] == pytest.approx((1 + (1 + 0) / 2) / 2)  # "a" matches; "b" finds cos 0
    crslab = conversation_metrics(["a z"], ["a b"], embeddings=VECTORS, variant="crslab")
    assert crslab["emb_avg"] == pytest.approx(1 / SQRT2)  # the zero vector adds nothing to the sum
    # CRSLab's extrema: a dimension whose minimum is exactly 0 gives 0: hyp [0, 0] (min over {[1,0], [0,0]}),
    # ref [0, 0] (min over {[1,0], [0,1]} is 0 in both dimensions); a zero vector has cosine 0
    assert crslab["emb_extreme"] == 0.0
    # greedy: cosines hyp x ref = [[1, 0], [0, 0]]: row maxima (1, 0), column maxima (1, 0)
    assert crslab["emb_greedy"] == pytest.approx((0.5 + 0.5) / 2)


def test_crslab_extrema_rule_on_negative_values_and_ties():
    table = WordVectors.from_mapping({"p": [2.0, -1.0, 0.5], "q": [-2.0, -3.0, 1.0], "r": [1.0, 0.0, 0.0]})
    # per dimension of {p, q}: (max 2, min -2): a tie, CRSLab takes the minimum, the standard rule the first
    # token's 2; (max -1, min -3): -3 for both; (max 1, min 0.5 > 0): 1 for both
    crslab = embedding_scores(["p", "q"], [["r"]], table, "crslab")
    standard = embedding_scores(["p", "q"], [["r"]], table, "standard")
    assert crslab["emb_extreme"] == pytest.approx(-2 / math.sqrt(4 + 9 + 1))
    assert standard["emb_extreme"] == pytest.approx(2 / math.sqrt(4 + 9 + 1))


def test_crslab_greedy_is_never_negative_and_every_score_is_the_best_reference():
    table = WordVectors.from_mapping({"x": [1.0, 0.0], "y": [-1.0, 0.0], "w": [1.0, 1.0]})
    assert embedding_scores(["x"], [["y"]], table, "standard")["emb_greedy"] == pytest.approx(-1.0)
    assert embedding_scores(["x"], [["y"]], table, "crslab")["emb_greedy"] == 0.0  # CRSLab starts from 0
    assert embedding_scores(["x"], [["y"]], table, "crslab")["emb_avg"] == pytest.approx(-1.0)  # not clamped
    both = embedding_scores(["x"], [["y"], ["w"]], table, "standard")
    assert both == pytest.approx({"emb_avg": 1 / SQRT2, "emb_extreme": 1 / SQRT2, "emb_greedy": 1 / SQRT2})


def test_npy_vectors_follow_token_ids_and_all_zero_rows_count_as_missing_in_the_standard_variant(tmp_path):
    tokenizer = word_level_tokenizer({"__pad__": 0, "__start__": 1, "__end__": 2, "__unk__": 3, "a": 4, "b": 5})
    matrix = np.zeros((6, 2), dtype=np.float32)
    matrix[4], matrix[5] = [1, 0], [0, 1]  # the special tokens keep zero rows, as in CRSLab's word2vec.npy
    np.save(tmp_path / "word2vec.npy", matrix)
    vectors = load_word_vectors(tmp_path / "word2vec.npy", tokenizer)
    assert vectors.lookup(["b", "__unk__", "zz"])[1].tolist() == [True, True, False]
    # hyp "a __unk__": standard leaves the zero row out (greedy (1 + 0.5) / 2); CRSLab keeps it (0.5)
    assert conversation_metrics(["a __unk__"], ["a b"], embeddings=vectors)["emb_greedy"] == pytest.approx(0.75)
    assert conversation_metrics(["a __unk__"], ["a b"], embeddings=vectors,
                                variant="crslab")["emb_greedy"] == pytest.approx(0.5)


def test_word2vec_text_files_keep_the_tokenizers_tokens(tmp_path):
    path = tmp_path / "cc.vec"
    path.write_text("3 2\na 1 0\nb 0 1\nunused 5 5\n", encoding="utf-8")
    tokenizer = word_level_tokenizer({"__pad__": 0, "__start__": 1, "__end__": 2, "__unk__": 3, "a": 4, "b": 5})
    vectors = load_word_vectors(path, tokenizer)
    assert sorted(vectors.index) == ["a", "b"] and vectors.dim == 2
    assert vectors.lookup(["b"])[0].tolist() == [[0.0, 1.0]]
    assert len(load_word_vectors(path)) == 3  # no tokenizer: every token


def test_gensim_keyed_vectors_when_gensim_is_there_and_one_line_when_not(tmp_path, monkeypatch):
    path = tmp_path / "vectors.kv"
    path.write_bytes(b"")

    class FakeKeyedVectors:  # gensim 4's attributes: vectors and key_to_index
        @staticmethod
        def load(name):
            assert name == str(path)
            return types.SimpleNamespace(vectors=np.eye(2, dtype=np.float32), key_to_index={"a": 0, "b": 1})

    gensim = types.ModuleType("gensim")
    gensim.models = types.SimpleNamespace(KeyedVectors=FakeKeyedVectors)
    monkeypatch.setitem(sys.modules, "gensim", gensim)
    monkeypatch.setitem(sys.modules, "gensim.models", gensim.models)
    assert load_word_vectors(path).lookup(["b", "a"])[0].tolist() == [[0.0, 1.0], [1.0, 0.0]]
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(CRSDataError, match=r"vectors\.kv: reading gensim KeyedVectors needs gensim"):
        load_word_vectors(path)


def tiny_tokenizer():
    return word_level_tokenizer({"__pad__": 0, "__start__": 1, "__end__": 2, "__unk__": 3, "a": 4, "b": 5})


@pytest.mark.parametrize("write, message", [
    (lambda p: np.save(p / "v.npy", np.zeros((5, 3), dtype=np.float32)),
     r"v\.npy: word vectors of shape \(5, 3\), but the tokenizer has 6 tokens"),
    (lambda p: np.save(p / "v.npy", np.zeros(6, dtype=np.float32)), r"v\.npy: expected a 2-D float array"),
    (lambda p: np.save(p / "v.npy", np.zeros((6, 3), dtype=np.int64)), r"expected a 2-D float array .*int64"),
    (lambda p: (p / "v.npy").write_text("not an array"), r"v\.npy: cannot read word vectors as a \.npy array"),
    (lambda p: np.save(p / "v.npy", np.array([{"a": 1}], dtype=object)), r"cannot read word vectors as a \.npy"),
    (lambda p: (p / "v.vec").write_text("a 1 0\nb 1\n"), r"v\.vec:2: expected a token and 2 numbers, got 1"),
    (lambda p: (p / "v.vec").write_text("a 1 x\n"), r"v\.vec:1: a: not a number"),
    (lambda p: (p / "v.vec").write_text("zz 1 0\n"), r"v\.vec: no word vectors for the tokenizer's tokens"),
    (lambda p: (p / "v.json").write_text("{}"), r"unknown word-vector format '\.json'"),
    (lambda p: None, r"v\.npy: word-vector file not found"),
])
def test_bad_vector_files_are_one_error_naming_the_file(tmp_path, write, message):
    write(tmp_path)
    name = next((f.name for f in tmp_path.iterdir()), "v.npy")
    with pytest.raises(CRSDataError, match=message):
        load_word_vectors(tmp_path / name, tiny_tokenizer())


# ---- in the trainer -------------------------------------------------------------------------------------------

def test_the_trainer_checks_word_vectors_before_training_and_reports_both_variants(tmp_path):
    with pytest.raises(ValueError, match="word_vectors: no file"):
        crs_training.CRSTrainingConfig(output_dir=str(tmp_path), stage="conv", word_vectors=str(tmp_path / "no.npy"))
    tokenizer = tiny_tokenizer()
    np.save(tmp_path / "short.npy", np.zeros((4, 2), dtype=np.float32))
    args = crs_training.CRSTrainingConfig(output_dir=str(tmp_path), stage="conv", report_to="none",
                                          word_vectors=str(tmp_path / "short.npy"))
    model = RetrievalForConversation(RetrievalConfig(vocab_size=6))
    with pytest.raises(CRSHFError, match=r"short\.npy: word vectors of shape \(4, 2\), but the tokenizer has 6"):
        crs_training.CRSTrainer(model=model, args=args, processing_class=tokenizer, trained_by="counting")

    matrix = np.zeros((6, 2), dtype=np.float32)
    matrix[4], matrix[5] = [1, 0], [0, 1]
    np.save(tmp_path / "good.npy", matrix)
    vectors = load_word_vectors(tmp_path / "good.npy", tokenizer)
    # generations "a" and "" (the end token first) against references "a b" and "b"
    prediction = EvalPrediction(predictions=np.array([[4, 2, 0], [2, 0, 0]]),
                                label_ids=np.array([[4, 5, 2], [5, 2, -100]]))
    result = crs_training.conversation_metrics(prediction, tokenizer, vectors)
    assert result["emb_avg"] == pytest.approx((1 / SQRT2 + 0) / 2)  # the empty one counts as 0
    assert result["crslab_emb_avg"] == pytest.approx(1 / SQRT2)  # CRSLab skips it
    assert result["emb_greedy"] == pytest.approx((1 + 0.5) / 2 / 2)
    assert result["empty"] == result["crslab_empty"] == 0.5


def test_train_crs_reports_embedding_metrics_from_a_vector_file(tmp_path):
    """The retrieval baseline on the ReDial sample with random word vectors: `test_emb_avg` equals the mean cosine
    of summed token vectors over predictions.jsonl, computed here with numpy."""
    recipe = str(REPO_ROOT / "examples" / "recipes" / "retrieval_sample.yaml")
    args = ["--config", recipe, "--output_dir", str(tmp_path / "out"), "--disable_tqdm", "true", "--report_to", "none"]
    script, model_args, training = train_crs.make_parser().parse_args_and_config(args)
    tokenizer = train_crs.prepare_stage(script, model_args, training,
                                        train_crs.get_model_spec("crs_retrieval").head("conv")).tokenizer
    matrix = np.random.default_rng(0).normal(size=(len(tokenizer), 8)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", matrix)
    metrics = train_crs.cli([*args, "--word_vectors", str(tmp_path / "vectors.npy")])["conv"]
    vocab = tokenizer.get_vocab()

    def summed(text: str) -> np.ndarray:
        return sum((matrix[vocab[t]].astype(np.float64) for t in text.split()), np.zeros(8))

    cosines = []
    for line in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines():
        row = json.loads(line)
        h, r = summed(row["prediction"]), summed(row["reference"])
        cosines.append(float(h @ r / (np.linalg.norm(h) * np.linalg.norm(r))) if h.any() and r.any() else 0.0)
    assert metrics["test_emb_avg"] == pytest.approx(np.mean(cosines))
    assert {"test_emb_extreme", "test_emb_greedy", "test_crslab_emb_avg", "test_crslab_emb_greedy"} <= set(metrics)
    assert torch.isfinite(torch.tensor(metrics["test_crslab_emb_extreme"]))
