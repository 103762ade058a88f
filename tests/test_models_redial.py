"""ReDial: AutoRec over the context entities, HRED with the item switch, teacher forcing on the shifted response."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids

from crs_hf.models import ReDialConfig, ReDialForConversation, ReDialForRecommendation, ReDialModel


class ReDialModelTester:
    all_model_classes = (ReDialModel, ReDialForRecommendation, ReDialForConversation)
    base_model_class, conversation_class = ReDialModel, ReDialForConversation

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, n_utterances=4, utterance_length=6,
                 target_length=7, n_entity=50, num_entities=5):
        self.batch_size, self.n_utterances, self.utterance_length = batch_size, n_utterances, utterance_length
        self.target_length, self.num_entities = target_length, num_entities
        self.config_kwargs = dict(
            vocab_size=vocab_size, item_token_id=4, embedding_dim=24, utterance_encoder_hidden_size=16,
            dialog_encoder_hidden_size=hidden_size, decoder_hidden_size=hidden_size, decoder_num_layers=2,
            n_entity=n_entity, item_ids=[3, 5, 8, 13, 21, 34, 40], autorec_layer_sizes=[32, 16],
        )

    def get_config(self, **overrides) -> ReDialConfig:
        return ReDialConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        return model_class(self.get_config(**overrides)).eval()

    def inputs(self, model_class) -> dict:
        generator = torch.Generator().manual_seed(2)
        config = self.get_config()
        if model_class is ReDialForRecommendation:
            return {
                "context_entities": padded_ids(self.batch_size, self.num_entities, 1, config.n_entity, generator),
                "rec_labels": torch.randint(0, config.n_items, (self.batch_size,), generator=generator),
            }
        inputs = self.generation_inputs()
        if model_class is ReDialForConversation:
            inputs["labels"] = padded_ids(self.batch_size, self.target_length, 3, config.vocab_size, generator,
                                          pad=-100)
        return inputs

    def generation_inputs(self) -> dict:
        generator = torch.Generator().manual_seed(3)
        rows = padded_ids(self.batch_size * self.n_utterances, self.utterance_length, 3,
                          self.get_config().vocab_size, generator)
        context = rows.view(self.batch_size, self.n_utterances, self.utterance_length).clone()
        context[0, 2:] = 0  # a two-utterance dialog
        context[1] = 0  # no context at all
        context[2, 1] = 0  # an empty utterance in the middle
        return {"input_ids": context}


class TestReDial(ModelTesterMixin):
    model_tester = ReDialModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        base = tester.create_model(ReDialModel)(**tester.inputs(ReDialModel))
        assert base.last_hidden_state.shape == (batch, tester.n_utterances, 2 * config.utterance_encoder_hidden_size)
        assert base.context_state.shape == (batch, config.dialog_encoder_hidden_size)
        assert torch.equal(base.context_state[1], torch.zeros(config.dialog_encoder_hidden_size))
        assert torch.equal(base.last_hidden_state[2, 1], torch.zeros(2 * config.utterance_encoder_hidden_size))

        rec = tester.create_model(ReDialForRecommendation)(**tester.inputs(ReDialForRecommendation))
        assert rec.loss.shape == ()
        assert rec.rec_logits.shape == (batch, 7)

        conv = tester.create_model(ReDialForConversation)(**tester.inputs(ReDialForConversation))
        assert conv.loss.shape == ()
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.context_state.shape == (batch, config.dialog_encoder_hidden_size)
        # log-probabilities: the switch and the word distribution together sum to one
        torch.testing.assert_close(conv.logits.exp().sum(-1), torch.ones(batch, tester.target_length))

    def test_switch_moves_probability_to_the_item_token(self):
        tester = self.model_tester
        model = tester.create_model(ReDialForConversation)
        inputs = tester.inputs(ReDialForConversation)
        with torch.no_grad():
            before = model(**inputs).logits.exp()
            model.decoder.switch.bias.fill_(-20.0)  # s ~ 0: everything on the item token
            after = model(**inputs).logits.exp()
        assert (after[..., 4] > 0.999).all() and (before[..., 4] < 0.9).all()

    def test_decoder_is_trained_on_the_response_shifted_right(self):
        tester = self.model_tester
        model = tester.create_model(ReDialForConversation)
        inputs = tester.inputs(ReDialForConversation)
        labels = inputs["labels"]
        shifted = torch.cat([torch.full_like(labels[:, :1], model.config.decoder_start_token_id), labels[:, :-1]], 1)
        shifted = shifted.masked_fill(shifted == -100, model.config.pad_token_id)
        with torch.no_grad():
            out = model(**inputs)
            explicit = model(**inputs, decoder_input_ids=shifted)
            # teacher forcing is causal: the logits of position t do not depend on later response tokens
            later_changed = torch.cat([shifted[:, :3], torch.full_like(shifted[:, 3:], 5)], 1)
            changed = model(**{**inputs, "decoder_input_ids": later_changed})
        torch.testing.assert_close(out.logits, explicit.logits)
        torch.testing.assert_close(changed.logits[:, :3], out.logits[:, :3])

    @pytest.mark.parametrize(("autorec_input", "weight"), [("sum", 1.0), ("mean", 0.5)])
    def test_autorec_reads_each_context_entity_once(self, autorec_input, weight):
        tester = self.model_tester
        model = tester.create_model(ReDialForRecommendation, autorec_input=autorec_input)
        entities = torch.tensor([[7, 9, 0, 0], [9, 7, 7, 9]])
        with torch.no_grad():
            logits = model(context_entities=entities).rec_logits
            autorec = model.autorec
            multi_hot = torch.zeros(2, model.config.n_entity)
            multi_hot[:, [7, 9]] = weight  # what CRSLab's nn.Linear over a multi-hot (or mean) vector reads
            hidden = torch.sigmoid(multi_hot @ autorec.entity_embeddings.weight + autorec.input_bias)
            for layer in autorec.hidden_layers:
                hidden = torch.sigmoid(layer(hidden))
            expected = autorec.output(hidden)
        torch.testing.assert_close(logits, expected)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"decoder_hidden_size": 16}, r"dialog_encoder_hidden_size \(32\) must equal decoder_hidden_size \(16\)"),
            ({"item_token_id": 99}, r"item_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"autorec_layer_sizes": []}, "autorec_layer_sizes must be a non-empty list"),
            ({"item_ids": [51]}, r"n_entity=50\) other than pad_entity_id=0, but got \[51\]"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)

    def test_context_must_be_a_grid_of_utterances(self):
        model = self.model_tester.create_model(ReDialModel)
        with pytest.raises(ValueError, match=r"\(batch, n_utterances, utterance_length\), but got \(13, 6\)"):
            model(input_ids=torch.ones(13, 6, dtype=torch.long))
