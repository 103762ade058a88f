"""How a saved crs_hf checkpoint loads: through the library where crs_hf is installed, and with one line saying
`pip install crs-hf` where it is not (see `crs_hf.models.modeling_utils`).

Every head of every model is saved once (a module-scoped fixture) and loaded back in two fresh interpreters, one
with crs_hf and one without, so the whole file costs two interpreter starts.
"""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import test_models_bert
import test_models_context_copy
import test_models_gpt2
import test_models_gru4rec
import test_models_hred
import test_models_inspired
import test_models_kbrd
import test_models_kgsf
import test_models_ntrd
import test_models_popularity
import test_models_redial
import test_models_retrieval
import test_models_rgcn
import test_models_sasrec
import test_models_textcnn
import test_models_transformer
import torch
import transformers
from models_common import ReloadCase, check_reloads_in_fresh_process, load_without_crs_hf
from transformers.utils import hub

from crs_hf.models import (
    CRS_MODELS,
    KBRDForConversation,
    KBRDForRecommendation,
    KGSFForConversation,
    KGSFForPretraining,
    KGSFForRecommendation,
    ReDialForConversation,
    ReDialForRecommendation,
)
from crs_hf.models.modeling_utils import LOADER_MODULE, loader_source

HEADS = (
    (test_models_kbrd.KBRDModelTester, KBRDForRecommendation, "rec_logits"),
    (test_models_kbrd.KBRDModelTester, KBRDForConversation, "logits"),
    (test_models_kgsf.KGSFModelTester, KGSFForPretraining, "infomax_logits"),
    (test_models_kgsf.KGSFModelTester, KGSFForRecommendation, "rec_logits"),
    (test_models_kgsf.KGSFModelTester, KGSFForConversation, "logits"),
    (test_models_redial.ReDialModelTester, ReDialForRecommendation, "rec_logits"),
    (test_models_redial.ReDialModelTester, ReDialForConversation, "logits"),
    (test_models_transformer.TransformerModelTester, CRS_MODELS["crs_transformer"].head("conv").model_class, "logits"),
    (test_models_hred.HREDModelTester, CRS_MODELS["crs_hred"].head("conv").model_class, "logits"),
    (test_models_ntrd.NTRDModelTester, CRS_MODELS["crs_ntrd"].head("pretrain").model_class, "infomax_logits"),
    (test_models_ntrd.NTRDModelTester, CRS_MODELS["crs_ntrd"].head("rec").model_class, "rec_logits"),
    (test_models_ntrd.NTRDModelTester, CRS_MODELS["crs_ntrd"].head("conv").model_class, "logits"),
    (test_models_gpt2.CRSGPT2ModelTester, CRS_MODELS["crs_gpt2"].head("conv").model_class, "logits"),
    (test_models_inspired.InspiredConvTester, CRS_MODELS["crs_inspired"].head("conv").model_class, "logits"),
)


REC_TESTS = (  # the recommenders of CRSLab's list, from their tests' model testers
    test_models_popularity.TestPopularity, test_models_context_copy.TestContextCopy, test_models_gru4rec.TestGRU4Rec,
    test_models_sasrec.TestSASRec, test_models_textcnn.TestTextCNN, test_models_rgcn.TestRGCN,
    test_models_bert.TestCRSBert,
)


def reload_cases() -> list[ReloadCase]:
    cases = []
    for test_class in REC_TESTS:
        tester = test_class.model_tester
        model, inputs = tester.create_model(), tester.inputs()
        if tester.spec.head("rec").trained_by == "counting":  # counts to save, so the scores are not uniform
            model.observe(rec_labels=inputs["rec_labels"])
        cases.append(ReloadCase(model.eval(), inputs, "rec_logits"))
    for tester_class, model_class, output in HEADS:
        tester = tester_class()
        model = tester.create_model(model_class)  # with the graphs loaded: buffers of the checkpoint
        if hasattr(model, "set_copy_mask"):  # KGSF's and NTRD's copy heads
            model.set_copy_mask(torch.arange(model.config.vocab_size) % 3 != 0)
        cases.append(ReloadCase(model, tester.inputs(model_class), output))
    retrieval = test_models_retrieval.fitted()  # its index is what the checkpoint holds
    ids, mask = test_models_retrieval.batch(test_models_retrieval.QUERY)
    cases.append(ReloadCase(retrieval, {"input_ids": ids, "attention_mask": mask}, "retrieval_scores"))
    return cases


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> list[dict]:
    """Every head saved and reloaded in a fresh interpreter with crs_hf (the reload's checks run there)."""
    tmp_path = tmp_path_factory.mktemp("with_crs_hf")
    return check_reloads_in_fresh_process(tmp_path, reload_cases())


def test_checkpoints_reload_in_a_fresh_process_with_identical_outputs(saved):
    # the checks ran in the fixture's interpreter: AutoModel gives the base class, the task Auto class (or the head
    # class) the head with identical outputs and greedy generation, with and without trust_remote_code=True
    assert len(saved) == len(HEADS) + len(REC_TESTS) + 1  # + the fitted retrieval baseline


def test_checkpoint_holds_the_loader_and_its_auto_map(saved):
    for record in saved:
        folder = Path(record["dir"])
        config = transformers.AutoConfig.from_pretrained(folder)
        assert json.loads((folder / "config.json").read_text())["auto_map"] == {
            "AutoConfig": f"{LOADER_MODULE}.{type(config).__name__}"}
        assert (folder / f"{LOADER_MODULE}.py").read_text() == loader_source(config)
        assert not list(folder.glob("modeling_*.py"))  # no modeling file is copied: it loads through the library


def test_without_crs_hf_loading_fails_with_one_line_to_pip_install(saved, tmp_path):
    results = load_without_crs_hf(tmp_path, saved)
    assert len(results) == sum(3 if r["loader"].startswith("transformers.") else 2 for r in saved) * 2
    for result in results:
        kind, message = result["error"]
        where = (result["dir"], result["auto_class"], result["trust_remote_code"])
        if result["trust_remote_code"]:
            # the checkpoint's loader runs and says what to install, in one line
            assert (kind, message) == ("ImportError", f"{result['model_type']} is a crs_hf model: pip install crs-hf"), where
        else:
            # transformers' own message wins: it may not run the checkpoint's code, and asks for trust_remote_code
            # (instead of "model type not recognized ... upgrade transformers", as a checkpoint without auto_map gets)
            assert kind == "ValueError", where
            assert f"The repository {result['dir']} contains custom code which must be executed" in message, where
            assert message.endswith("Please pass the argument `trust_remote_code=True` to allow custom code to be run.")


def test_saving_keeps_the_in_memory_config_as_it_was(tmp_path):
    tester = test_models_kbrd.KBRDModelTester()
    model = tester.create_model(KBRDForRecommendation)
    model.save_pretrained(tmp_path / "first")
    assert "auto_map" not in model.config.to_dict()  # set for the save only
    loaded = KBRDForRecommendation.from_pretrained(tmp_path / "first")
    loaded.config.auto_map = {"AutoConfig": "elsewhere.Config"}  # e.g. a stale entry
    loaded.save_pretrained(tmp_path / "second")
    assert json.loads((tmp_path / "second" / "config.json").read_text())["auto_map"]["AutoConfig"].startswith(
        LOADER_MODULE)
    assert loaded.config.auto_map == {"AutoConfig": "elsewhere.Config"}


class RecordingHub:
    """Stands in for `hf_api()`: records the files of each commit (read while they still exist)."""

    def __init__(self):
        self.commits = []

    def create_repo(self, repo_id, **kwargs):
        return SimpleNamespace(repo_id=repo_id)

    def create_commit(self, repo_id, operations, **kwargs):
        self.commits.append({op.path_in_repo: open(op.path_or_fileobj, "rb").read() for op in operations})


class EmptyCard:
    def save(self, path):
        Path(path).write_text("")


@pytest.mark.parametrize("how", ["push_to_hub", "save_pretrained"])
def test_pushing_uploads_the_loader(tmp_path, monkeypatch, how):
    recording = RecordingHub()
    for module in (hub, transformers.modeling_utils):
        monkeypatch.setattr(module, "hf_api", lambda: recording, raising=False)
        monkeypatch.setattr(module, "create_and_tag_model_card", lambda *args, **kwargs: EmptyCard(), raising=False)
    model = test_models_kbrd.KBRDModelTester().create_model(KBRDForRecommendation)
    if how == "push_to_hub":
        model.push_to_hub("user/kbrd")
    else:
        model.save_pretrained(tmp_path / "kbrd", push_to_hub=True, repo_id="user/kbrd")
    (files,) = recording.commits
    assert files[f"{LOADER_MODULE}.py"].decode() == loader_source(model.config)
    assert json.loads(files["config.json"])["auto_map"] == {"AutoConfig": f"{LOADER_MODULE}.KBRDConfig"}
