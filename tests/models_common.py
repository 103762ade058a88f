"""Checks every crs_hf model passes (as transformers' tests/test_modeling_common.py): save/load round trip,
Auto classes, loss decreasing on a fixed batch, and `generate()` with and without the KV cache.

A test class mixes `ModelTesterMixin` in and sets `model_tester` to an object with
`get_config()`, `create_model(model_class)` (a seeded model with its graphs loaded) and `inputs(model_class)`
(the forward kwargs, gold labels included), plus `all_model_classes`, `base_model_class`,
`conversation_class` (the `AutoModelForSeq2SeqLM` head) and `generation_inputs()`.
"""

from dataclasses import fields

import torch
from transformers import AutoConfig, AutoModel, AutoModelForSeq2SeqLM

import crs_hf  # noqa: F401  registers the models


def random_graph(num_nodes: int, num_edges: int, num_relations: int, generator: torch.Generator):
    """A random KG without the padding node 0: `(edge_index, edge_type)`."""
    edge_index = torch.randint(1, num_nodes, (2, num_edges), generator=generator)
    edge_type = torch.randint(0, num_relations, (num_edges,), generator=generator)
    return edge_index, edge_type


def padded_ids(batch: int, length: int, low: int, high: int, generator: torch.Generator, pad: int = 0):
    """Random ids in [low, high) with a random number (1..length) of them per row, right-padded with `pad`."""
    ids = torch.randint(low, high, (batch, length), generator=generator)
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    return ids.masked_fill(torch.arange(length) >= lengths[:, None], pad)


def tensor_fields(output) -> dict[str, torch.Tensor]:
    return {f.name: getattr(output, f.name) for f in fields(output) if torch.is_tensor(getattr(output, f.name))}


class ModelTesterMixin:
    model_tester = None

    def test_save_load_round_trip_gives_identical_outputs(self, tmp_path):
        tester = self.model_tester
        for model_class in tester.all_model_classes:
            model = tester.create_model(model_class)
            model.save_pretrained(tmp_path / model_class.__name__)
            loaded = model_class.from_pretrained(tmp_path / model_class.__name__).eval()
            inputs = tester.inputs(model_class)
            with torch.no_grad():
                expected, got = tensor_fields(model(**inputs)), tensor_fields(loaded(**inputs))
            assert expected.keys() == got.keys()
            for name in expected:
                assert torch.equal(expected[name], got[name]), f"{model_class.__name__}.{name} changed"

    def test_auto_classes_resolve(self, tmp_path):
        tester = self.model_tester
        config = tester.get_config()
        assert type(AutoConfig.for_model(config.model_type)) is type(config)
        assert type(AutoModel.from_config(config)) is tester.base_model_class
        assert type(AutoModelForSeq2SeqLM.from_config(config)) is tester.conversation_class
        tester.create_model(tester.conversation_class).save_pretrained(tmp_path)
        assert type(AutoConfig.from_pretrained(tmp_path)) is type(config)
        assert type(AutoModelForSeq2SeqLM.from_pretrained(tmp_path)) is tester.conversation_class

    def test_loss_decreases_on_a_fixed_batch(self):
        tester = self.model_tester
        for model_class in tester.all_model_classes:
            if model_class is tester.base_model_class:
                continue
            model = tester.create_model(model_class).train()
            inputs = tester.inputs(model_class)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
            losses = []
            for _ in range(6):
                loss = model(**inputs).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                losses.append(loss.item())
            assert losses[-1] < 0.9 * losses[0], f"{model_class.__name__}: {losses}"

    def test_generate_greedy_and_beam_with_cache_equal_without(self):
        tester = self.model_tester
        model = tester.create_model(tester.conversation_class)
        inputs = tester.generation_inputs()
        batch = next(iter(inputs.values())).shape[0]
        for options in ({"do_sample": False}, {"num_beams": 3, "do_sample": False}):
            lengths = {"min_new_tokens": 6, "max_new_tokens": 6}  # six cached steps, whatever the random model says
            with_cache = model.generate(**inputs, **options, **lengths, use_cache=True)
            without = model.generate(**inputs, **options, **lengths, use_cache=False)
            assert with_cache.shape == (batch, 7)
            assert (with_cache[:, 0] == model.config.decoder_start_token_id).all()
            assert torch.equal(with_cache, without), options
        torch.manual_seed(0)
        sampled = model.generate(**inputs, do_sample=True, top_k=5, min_new_tokens=6, max_new_tokens=6)
        assert sampled.shape == (batch, 7)
