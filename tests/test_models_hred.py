"""HRED (ReDial's hierarchical encoder-decoder without the item switch): output shapes, word-only distribution,
ReDial's weights give ReDial's word model, generation with the GRU state as the cache, bad input, config checks,
and the shared mixin's checks."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids
from test_models_redial import ReDialModelTester

from crs_hf.models import ReDialConfig, ReDialForConversation
from crs_hf.models.hred import HREDConfig, HREDForConversation, HREDModel


class HREDModelTester:
    all_model_classes = (HREDModel, HREDForConversation)
    base_model_class, conversation_class = HREDModel, HREDForConversation

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, n_utterances=4, utterance_length=6,
                 target_length=7):
        self.batch_size, self.n_utterances, self.utterance_length = batch_size, n_utterances, utterance_length
        self.target_length = target_length
        self.config_kwargs = dict(vocab_size=vocab_size, embedding_dim=24, utterance_encoder_hidden_size=16,
                                  dialog_encoder_hidden_size=hidden_size, decoder_hidden_size=hidden_size,
                                  decoder_num_layers=2)

    def get_config(self, **overrides) -> HREDConfig:
        return HREDConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        return model_class(self.get_config(**overrides)).eval()

    def inputs(self, model_class) -> dict:
        inputs = self.generation_inputs()
        if model_class is HREDForConversation:
            generator = torch.Generator().manual_seed(2)
            inputs["labels"] = padded_ids(self.batch_size, self.target_length, 3, self.get_config().vocab_size,
                                          generator, pad=-100)
        return inputs

    generation_inputs = ReDialModelTester.generation_inputs  # the same utterance grids, empty rows included


class TestHRED(ModelTesterMixin):
    model_tester = HREDModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        base = tester.create_model(HREDModel)(**tester.inputs(HREDModel))
        assert base.last_hidden_state.shape == (batch, tester.n_utterances, 2 * config.utterance_encoder_hidden_size)
        assert base.context_state.shape == (batch, config.dialog_encoder_hidden_size)
        assert torch.equal(base.context_state[1], torch.zeros(config.dialog_encoder_hidden_size))  # empty context

        conv = tester.create_model(HREDForConversation)(**tester.inputs(HREDForConversation))
        assert conv.loss.shape == ()
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.past_key_values is None  # no cache when training with labels
        torch.testing.assert_close(conv.logits.exp().sum(-1), torch.ones(batch, tester.target_length))
        assert conv.context_state.shape == (batch, config.dialog_encoder_hidden_size)

    def test_hred_is_redials_model_without_the_switch(self):
        tester = self.model_tester
        hred = tester.create_model(HREDForConversation)
        redial = ReDialForConversation(ReDialConfig(**tester.config_kwargs, item_token_id=4)).eval()
        missing, unexpected = redial.load_state_dict(hred.state_dict(), strict=False)
        assert missing == ["decoder.switch.weight", "decoder.switch.bias"] and not unexpected
        inputs = tester.inputs(HREDForConversation)
        with torch.no_grad():
            redial.decoder.switch.bias.fill_(30.0)  # s ~ 1: every probability on words
            expected, got = redial(**inputs).logits, hred(**inputs).logits
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)

    def test_greedy_beam_and_sampling_decode_with_the_gru_state(self):
        tester = self.model_tester
        model = tester.create_model(HREDForConversation)
        inputs = tester.generation_inputs()
        steps = []
        model.decoder.gru.register_forward_hook(lambda module, args, output: steps.append(args[0].shape[1]))
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False},
                        {"do_sample": True, "top_k": 5, "num_return_sequences": 2}):
            steps.clear()
            torch.manual_seed(0)
            generated = model.generate(**inputs, **options, min_new_tokens=4, max_new_tokens=4)
            assert generated.shape == (tester.batch_size * options.get("num_return_sequences", 1), 5), options
            assert steps == [1, 1, 1, 1], (options, steps)  # one new token a step: the GRU state is the cache

    def test_logits_to_keep_gives_the_last_positions(self):
        tester = self.model_tester
        model = tester.create_model(HREDForConversation)
        inputs = tester.generation_inputs()
        decoder_input_ids = torch.randint(3, 99, (tester.batch_size, 5), generator=torch.Generator().manual_seed(4))
        with torch.no_grad():
            every = model(**inputs, decoder_input_ids=decoder_input_ids).logits
            last = model(**inputs, decoder_input_ids=decoder_input_ids, logits_to_keep=1).logits
        torch.testing.assert_close(last, every[:, -1:])
        with pytest.raises(ValueError, match=r"logits_to_keep must be an int >= 0"):
            model(**inputs, decoder_input_ids=decoder_input_ids, logits_to_keep=-1)

    def test_a_flat_context_is_a_clear_error(self):
        model = self.model_tester.create_model(HREDForConversation)
        with pytest.raises(ValueError, match=r"\(batch, n_utterances, utterance_length\), but got \(2, 6\)"):
            model.generate(input_ids=torch.ones(2, 6, dtype=torch.long), max_new_tokens=2)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"decoder_hidden_size": 16}, r"dialog_encoder_hidden_size \(32\) must equal decoder_hidden_size \(16\)"),
            ({"bos_token_id": 99}, r"bos_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"dropout": -0.1}, r"dropout must be in \[0, 1\), but got -0.1"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
