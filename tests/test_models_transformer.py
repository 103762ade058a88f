"""Transformer (CRSLab's knowledge-free conversation model): output shapes, tied output layer, teacher forcing,
generation (greedy, beam, sampling) with a cache, bad input, config checks, and the shared mixin's checks."""

import pytest
import torch
from models_common import ModelTesterMixin, padded_ids

from crs_hf.models.transformer import TransformerConfig, TransformerForConversation, TransformerModel


class TransformerModelTester:
    all_model_classes = (TransformerModel, TransformerForConversation)
    base_model_class, conversation_class = TransformerModel, TransformerForConversation

    def __init__(self, batch_size=13, vocab_size=99, hidden_size=32, num_layers=2, num_heads=2, ffn_size=37,
                 context_length=11, target_length=7):
        self.batch_size, self.context_length, self.target_length = batch_size, context_length, target_length
        self.config_kwargs = dict(vocab_size=vocab_size, token_emb_dim=hidden_size, n_layers=num_layers,
                                  n_heads=num_heads, ffn_size=ffn_size, n_positions=24)

    def get_config(self, **overrides) -> TransformerConfig:
        return TransformerConfig(**{**self.config_kwargs, **overrides})

    def create_model(self, model_class, **overrides):
        torch.manual_seed(0)
        return model_class(self.get_config(**overrides)).eval()

    def labels(self) -> torch.Tensor:
        generator = torch.Generator().manual_seed(2)
        return padded_ids(self.batch_size, self.target_length, 3, self.get_config().vocab_size, generator, pad=-100)

    def inputs(self, model_class) -> dict:
        if model_class is TransformerModel:
            return {**self.generation_inputs(), "decoder_input_ids": self.labels().clamp(min=0)}
        return {**self.generation_inputs(), "labels": self.labels()}

    def generation_inputs(self) -> dict:
        generator = torch.Generator().manual_seed(3)
        input_ids = padded_ids(self.batch_size, self.context_length, 3, self.get_config().vocab_size, generator)
        input_ids[1] = 0  # a context with no token left (all padding)
        return {"input_ids": input_ids, "attention_mask": (input_ids != 0).long()}


class TestTransformer(ModelTesterMixin):
    model_tester = TransformerModelTester()

    def test_output_shapes(self):
        tester = self.model_tester
        batch, config = tester.batch_size, tester.get_config()
        base = tester.create_model(TransformerModel)(**tester.inputs(TransformerModel), use_cache=False)
        assert base.last_hidden_state.shape == (batch, tester.target_length, config.token_emb_dim)
        assert base.encoder_last_hidden_state.shape == (batch, tester.context_length, config.token_emb_dim)
        assert base.past_key_values is None

        conv = tester.create_model(TransformerForConversation)(**tester.inputs(TransformerForConversation))
        assert conv.loss.shape == ()
        assert conv.logits.shape == (batch, tester.target_length, config.vocab_size)
        assert conv.encoder_last_hidden_state.shape == (batch, tester.context_length, config.token_emb_dim)
        assert conv.past_key_values is None  # no cache when training with labels
        assert torch.equal(conv.encoder_last_hidden_state[1], torch.zeros(tester.context_length,
                                                                           config.token_emb_dim))

    def test_logits_are_the_decoder_states_times_the_shared_embeddings(self):
        tester = self.model_tester
        model = tester.create_model(TransformerForConversation)
        inputs = tester.inputs(TransformerForConversation)
        shifted = torch.cat([torch.ones_like(inputs["labels"][:, :1]), inputs["labels"][:, :-1]], 1).clamp(min=0)
        with torch.no_grad():
            out = model(**inputs)
            states = model.model(inputs["input_ids"], inputs["attention_mask"], decoder_input_ids=shifted,
                                 use_cache=False).last_hidden_state
        assert model.model.embed_tokens.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
        torch.testing.assert_close(out.logits, states @ model.model.embed_tokens.weight.t())
        keep = model(**{k: v for k, v in inputs.items() if k != "labels"}, decoder_input_ids=shifted, logits_to_keep=2)
        torch.testing.assert_close(keep.logits, out.logits[:, -2:])

    def test_teacher_forcing_is_causal(self):
        tester = self.model_tester
        model = tester.create_model(TransformerForConversation)
        inputs = tester.generation_inputs()
        decoder_input_ids = torch.randint(3, 99, (tester.batch_size, 6), generator=torch.Generator().manual_seed(4))
        changed = decoder_input_ids.clone()
        changed[:, 3:] = 5
        with torch.no_grad():
            out = model(**inputs, decoder_input_ids=decoder_input_ids, use_cache=False).logits
            later = model(**inputs, decoder_input_ids=changed, use_cache=False).logits
        torch.testing.assert_close(later[:, :3], out[:, :3])
        assert not torch.allclose(later[:, 3:], out[:, 3:])

    def test_greedy_beam_and_sampling_decode_with_the_cache(self):
        tester = self.model_tester
        model = tester.create_model(TransformerForConversation)
        inputs = tester.generation_inputs()
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False},
                        {"do_sample": True, "top_k": 5, "num_return_sequences": 2}):
            torch.manual_seed(0)
            generated = model.generate(**inputs, **options, min_new_tokens=4, max_new_tokens=4)
            rows = tester.batch_size * options.get("num_return_sequences", 1)
            assert generated.shape == (rows, 5), options
            assert (generated[:, 0] == model.config.decoder_start_token_id).all()
        torch.manual_seed(0)
        first = model.generate(**inputs, do_sample=True, top_k=5, max_new_tokens=4, min_new_tokens=4)
        torch.manual_seed(0)
        assert torch.equal(first, model.generate(**inputs, do_sample=True, top_k=5, max_new_tokens=4,
                                                 min_new_tokens=4))  # seeded sampling repeats

    def test_a_context_longer_than_the_positions_is_a_clear_error(self):
        model = self.model_tester.create_model(TransformerForConversation)
        too_long = torch.randint(3, 99, (2, 25))  # n_positions=24
        with pytest.raises(ValueError, match=r"the context has 25 tokens, but the model has n_positions=24"):
            model.generate(input_ids=too_long, max_new_tokens=2)
        with pytest.raises(ValueError, match=r"decoding position 24 is past n_positions=24"):
            model.generate(input_ids=too_long[:, :5], max_new_tokens=30, min_new_tokens=30)

    def test_a_context_of_padding_only_still_answers(self):
        model = self.model_tester.create_model(TransformerForConversation)
        empty = torch.zeros(2, 5, dtype=torch.long)
        generated = model.generate(input_ids=empty, attention_mask=torch.zeros_like(empty), max_new_tokens=3,
                                   min_new_tokens=3)
        assert generated.shape == (2, 4) and torch.isfinite(model(input_ids=empty, labels=torch.tensor(
            [[5, 2], [6, 2]])).loss)

    def test_logits_to_keep_cannot_go_with_labels(self):
        tester = self.model_tester
        model = tester.create_model(TransformerForConversation)
        with pytest.raises(ValueError, match="logits_to_keep=1 keeps only the last positions' logits"):
            model(**tester.inputs(TransformerForConversation), logits_to_keep=1)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"token_emb_dim": 30, "n_heads": 4}, r"token_emb_dim \(30\) must be a multiple of n_heads \(4\)"),
            ({"token_emb_dim": 33, "n_heads": 1}, "even token_emb_dim, but got 33"),
            ({"eos_token_id": 99}, r"eos_token_id \(99\) must be in \[0, vocab_size=99\)"),
            ({"relu_dropout": 1.5}, r"relu_dropout must be in \[0, 1\), but got 1.5"),
            ({"n_positions": 0}, "n_positions must be at least 1, but got 0"),
        ],
    )
    def test_config_validation(self, overrides, message):
        with pytest.raises(ValueError, match=message):
            self.model_tester.get_config(**overrides)
