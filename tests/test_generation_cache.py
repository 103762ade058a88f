"""The KV cache of the conversation heads is really used by `generate()` (greedy, beam, sampling): the
cross-attention keys/values of the memories (the encoded context; KGSF's entities and words too) are projected once
per call, the decoder is fed only the new token at each step, and only the last position gets vocabulary logits;
and decoding with the cache gives the tokens and scores of decoding without it, which re-runs the whole prefix."""

import pytest
import torch
from test_models_hred import HREDModelTester
from test_models_kbrd import KBRDModelTester
from test_models_kgsf import KGSFModelTester
from test_models_redial import ReDialModelTester
from test_models_transformer import TransformerModelTester

TRANSFORMER_HEADS = {  # name -> (tester, memories per decoder layer)
    "kbrd": (KBRDModelTester(batch_size=4), 1),
    "kgsf": (KGSFModelTester(batch_size=4), 3),  # context entities, context words, context tokens
    "transformer": (TransformerModelTester(batch_size=4), 1),
}
RECURRENT_HEADS = {"hred": HREDModelTester(batch_size=4), "redial": ReDialModelTester(batch_size=4)}
DECODING = {"greedy": {"do_sample": False}, "beam": {"num_beams": 3, "do_sample": False},
            "sampling": {"do_sample": True, "top_k": 5}}
STEPS = 6


def transformer_decoder(model):
    return model.conv_decoder if hasattr(model, "conv_decoder") else model.model.conv_decoder


class Recorder:
    """Hooks a head: the input length of every memory attention's key projection, the length of what the first
    decoder layer's self-attention is fed, and the number of positions of every forward's logits."""

    def __init__(self, model, decoder_input_module):
        self.memory_projections, self.decoder_inputs, self.logits = [], [], []
        if hasattr(model, "conv_decoder") or hasattr(model.model, "conv_decoder"):
            for layer in transformer_decoder(model).layers:
                for attention in layer.memory_attentions:
                    attention.k_lin.register_forward_hook(
                        lambda module, args, output: self.memory_projections.append(args[0].shape[1]))
        decoder_input_module.register_forward_hook(
            lambda module, args, output: self.decoder_inputs.append(args[0].shape[1]))
        model.register_forward_hook(lambda module, args, output: self.logits.append(output.logits.shape[1]))

    def clear(self):
        self.memory_projections.clear(), self.decoder_inputs.clear(), self.logits.clear()


def transformer_head(name):
    tester, n_memories = TRANSFORMER_HEADS[name]
    model = tester.create_model(tester.conversation_class)
    recorder = Recorder(model, transformer_decoder(model).layers[0].self_attention.q_lin)
    return model, tester.generation_inputs(), recorder, n_memories


@pytest.mark.parametrize("decoding", list(DECODING))
@pytest.mark.parametrize("name", list(TRANSFORMER_HEADS))
def test_memories_are_projected_once_and_the_decoder_is_fed_one_token_a_step(name, decoding):
    model, inputs, recorder, n_memories = transformer_head(name)
    torch.manual_seed(0)
    model.generate(**inputs, **DECODING[decoding], min_new_tokens=STEPS, max_new_tokens=STEPS)
    context_length = inputs["input_ids"].shape[1]
    # once per (layer, memory) for the whole call, over the whole memory; the context is the last memory
    assert len(recorder.memory_projections) == model.config.n_layers * n_memories, recorder.memory_projections
    assert recorder.memory_projections[n_memories - 1::n_memories] == [context_length] * model.config.n_layers
    assert recorder.decoder_inputs == [1] * STEPS  # the start token, then each new token
    assert recorder.logits == [1] * STEPS  # vocabulary logits for the last position only


@pytest.mark.parametrize("name", list(TRANSFORMER_HEADS))
def test_a_decoder_prefix_is_fed_once_and_only_its_last_position_gets_logits(name):
    model, inputs, recorder, n_memories = transformer_head(name)
    batch = inputs["input_ids"].shape[0]
    prefix = torch.tensor([[model.config.decoder_start_token_id, 5, 6]] * batch)
    generated = model.generate(**inputs, decoder_input_ids=prefix, min_new_tokens=4, max_new_tokens=4)
    assert torch.equal(generated[:, :3], prefix)
    assert recorder.decoder_inputs == [3, 1, 1, 1]
    assert recorder.logits == [1, 1, 1, 1]
    assert len(recorder.memory_projections) == model.config.n_layers * n_memories


@pytest.mark.parametrize("decoding", ["greedy", "beam"])
@pytest.mark.parametrize("name", list(TRANSFORMER_HEADS))
def test_cached_and_uncached_decoding_give_the_same_tokens_and_scores(name, decoding):
    model, inputs, recorder, _ = transformer_head(name)
    options = {**DECODING[decoding], "min_new_tokens": 10, "max_new_tokens": 10, "output_scores": True,
               "return_dict_in_generate": True}
    cached = model.generate(**inputs, **options, use_cache=True)
    assert recorder.decoder_inputs == [1] * 10
    recorder.clear()
    uncached = model.generate(**inputs, **options, use_cache=False)
    assert recorder.decoder_inputs == list(range(1, 11))  # without a cache, the whole prefix every step
    assert torch.equal(cached.sequences, uncached.sequences)
    for step, (with_cache, without) in enumerate(zip(cached.scores, uncached.scores)):
        torch.testing.assert_close(with_cache, without, rtol=1e-4, atol=1e-4, msg=f"step {step}")


@pytest.mark.parametrize("decoding", ["greedy", "beam"])
@pytest.mark.parametrize("name", list(RECURRENT_HEADS))
def test_recurrent_heads_carry_the_gru_state_and_agree_without_it(name, decoding):
    tester = RECURRENT_HEADS[name]
    model = tester.create_model(tester.conversation_class)
    recorder = Recorder(model, model.decoder.gru)
    inputs = tester.generation_inputs()
    options = {**DECODING[decoding], "min_new_tokens": 8, "max_new_tokens": 8, "output_scores": True,
               "return_dict_in_generate": True}
    cached = model.generate(**inputs, **options)
    assert recorder.decoder_inputs == [1] * 8 and recorder.logits == [1] * 8
    recorder.clear()
    uncached = model.generate(**inputs, **options, use_cache=False)
    assert recorder.decoder_inputs == list(range(1, 9))
    assert torch.equal(cached.sequences, uncached.sequences)
    for with_cache, without in zip(cached.scores, uncached.scores):
        torch.testing.assert_close(with_cache, without, rtol=1e-4, atol=1e-4)
