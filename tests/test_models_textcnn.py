"""TextCNN: CRSLab's formula recomputed by hand, padding invariance, training, input and config checks."""

import pytest
import torch
import torch.nn.functional as F
from models_common import padded_ids
from rec_models_common import RecModelTesterMixin
from rec_models_extra2 import RecModelTester, RecTrainingTesterMixin

from crs_hf.models.textcnn import CRS_MODEL, TextCNNModel


class TextCNNModelTester(RecModelTester):
    spec = CRS_MODEL

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, num_filters=8, n_items=11, context_length=10):
        self.batch_size, self.context_length, self.n_items = batch_size, context_length, n_items
        self.config_kwargs = dict(vocab_size=vocab_size, embedding_dim=hidden_size, num_filters=num_filters,
                                  filter_sizes=[2, 3, 4], n_items=n_items)

    def inputs(self, model_class=None) -> dict:
        generator = torch.Generator().manual_seed(2)
        input_ids = padded_ids(self.batch_size, self.context_length, 1, 99, generator)
        input_ids[0, 1:] = 0  # a one-token context: shorter than every filter
        input_ids[1] = torch.randint(1, 99, (self.context_length,), generator=generator)  # no padding
        rec_labels = torch.randint(0, self.n_items, (self.batch_size,), generator=generator)
        return {"input_ids": input_ids, "attention_mask": (input_ids != 0).long(), "rec_labels": rec_labels}


def crslab_textcnn_scores(state: dict, tokens: torch.Tensor, filter_sizes: list[int]) -> torch.Tensor:
    """CRSLab's `TextCNNModel.forward` for one unpadded context, at eval (no dropout), written with torch ops:
    embed, `Conv2d(1, F, (k, embed))` + ReLU + max-pool over time per width, concatenate, `fc`."""
    image = state["model.embed_tokens.weight"][tokens][None, None]  # (1, 1, length, embed)
    pooled = []
    for i, width in enumerate(filter_sizes):
        weight = state[f"model.convolutions.convs.{i}.weight"]  # (F, embed, k) -> CRSLab's (F, 1, k, embed)
        feature_map = F.relu(F.conv2d(image, weight.permute(0, 2, 1).unsqueeze(1),
                                      state[f"model.convolutions.convs.{i}.bias"])).squeeze(3)
        pooled.append(F.max_pool1d(feature_map, feature_map.size(2)).squeeze(2))
    return F.linear(torch.cat(pooled, 1), state["rec_head.weight"], state["rec_head.bias"])[0]


class TestTextCNN(RecModelTesterMixin, RecTrainingTesterMixin):
    model_tester = TextCNNModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        assert tester.create_model()(**tester.inputs()).pooler_output.shape == (tester.batch_size, 3 * 8)
        base = tester.create_model(TextCNNModel)(tester.inputs()["input_ids"])
        assert base.pooler_output.shape == (tester.batch_size, 3 * 8)

    def test_scores_and_loss_equal_crslab_formula(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        with torch.no_grad():
            output = model(**inputs)
        state = model.state_dict()
        lengths = inputs["attention_mask"].sum(1)
        rows = [row for row in range(tester.batch_size) if lengths[row] >= 4]  # CRSLab needs a window per width
        assert len(rows) >= 8
        expected = torch.stack([crslab_textcnn_scores(state, inputs["input_ids"][row, :lengths[row]], [2, 3, 4])
                                for row in rows])
        torch.testing.assert_close(output.rec_logits[rows], expected)
        with torch.no_grad():
            loss = model(**{**inputs, "input_ids": inputs["input_ids"][rows],
                            "attention_mask": inputs["attention_mask"][rows], "rec_labels": inputs["rec_labels"][rows]})
        torch.testing.assert_close(loss.loss, F.cross_entropy(expected, inputs["rec_labels"][rows]))

    def test_scores_do_not_depend_on_padding(self):
        tester = self.model_tester
        model = tester.create_model()
        inputs = tester.inputs()
        longer = F.pad(inputs["input_ids"], (0, 5))
        with torch.no_grad():
            output = model(inputs["input_ids"], inputs["attention_mask"])
            padded = model(longer, (longer != 0).long())
            default_mask = model(inputs["input_ids"])
            alone = model(inputs["input_ids"][2:3, :inputs["attention_mask"][2].sum()])
        torch.testing.assert_close(padded.rec_logits, output.rec_logits)
        torch.testing.assert_close(default_mask.rec_logits, output.rec_logits)
        torch.testing.assert_close(alone.rec_logits[0], output.rec_logits[2])

    def test_a_context_shorter_than_a_filter_gives_zero_for_that_width(self):
        model = self.model_tester.create_model()
        with torch.no_grad():
            one_token = model.model(torch.tensor([[5]])).pooler_output  # shorter than the input, too
            three_tokens = model.model(torch.tensor([[5, 6, 7, 0, 0]])).pooler_output
        assert torch.equal(one_token, torch.zeros(1, 24))
        assert torch.equal(three_tokens[:, 16:], torch.zeros(1, 8)) and three_tokens[:, :16].any()

    def test_bad_input_raises_a_clear_error(self):
        model = self.model_tester.create_model()
        with pytest.raises(ValueError, match=r"input_ids must be \(batch, length\) token ids, but got \(4,\)"):
            model(torch.tensor([1, 2, 3, 4]))
        with pytest.raises(ValueError, match=r"token ids in \[1, 99\], but vocab_size=99"):
            model(torch.tensor([[1, 2, 99]]))
        with pytest.raises(ValueError, match=r"attention_mask must have the shape of input_ids \(1, 3\)"):
            model(torch.tensor([[1, 2, 3]]), torch.ones(1, 4))

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"pad_token_id": 99}, r"pad_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"filter_sizes": [2, 0]}, r"filter_sizes must be a non-empty list of widths >= 1, but got \[2, 0\]"),
            ({"num_filters": 0}, r"num_filters \(0\) and embedding_dim \(32\)"),
            ({"n_items": 0}, "n_items must be at least 1, but got 0"),
            ({"dropout": 1.0}, r"dropout must be in \[0, 1\), but got 1.0"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
